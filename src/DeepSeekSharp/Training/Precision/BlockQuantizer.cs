using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Training.Precision;

/// <summary>
/// Weight quantisation of DeepSeek-V3: 128 x 128 blocks (partial at the bottom and right edges), each with scale
/// s = amax / 448 (see <see cref="Fp8Scale"/>) and codes e4m3(w / s), as <see cref="Checkpoints.Fp8BlockQuant"/>
/// stores checkpoints. Here the codes come out as E4M3 values in F32 (unscaled), ready for <see cref="Fp8Gemm"/>.
/// </summary>
public static class BlockQuantizer
{
    public const int Block = 128;

    /// <summary>codes (rows, stride) with zeroed padding, s (ceil(rows/128), ceil(cols/128)).</summary>
    public static void Quantize(ReadOnlySpan<float> w, int rows, int cols, Span<float> codes, int stride, Span<float> s,
        Fp8ScaleFormat format = Fp8ScaleFormat.Float)
    {
        int br = (rows + Block - 1) / Block, bc = (cols + Block - 1) / Block;
        if (stride < cols) throw new ArgumentException($"stride {stride} is shorter than the rows ({cols})");
        if (w.Length < (long)rows * cols || codes.Length < (long)rows * stride || s.Length < br * bc)
            throw new ArgumentException($"block quantiser: buffers hold {w.Length}, {codes.Length}, {s.Length} values, too few for ({rows}, {cols})");
        for (int bi = 0; bi < br; bi++)
        {
            int r0 = bi * Block, r1 = Math.Min(rows, r0 + Block);
            for (int bj = 0; bj < bc; bj++)
            {
                int c0 = bj * Block, n = Math.Min(Block, cols - c0);
                float amax = 0;
                for (int r = r0; r < r1; r++) amax = Math.Max(amax, TileQuantizer.MaxAbs(w.Slice(r * cols + c0, n)));
                float sc = s[bi * bc + bj] = Fp8Scale.Of(amax, format);
                for (int r = r0; r < r1; r++)
                {
                    var src = w.Slice(r * cols + c0, n);
                    var dst = codes.Slice(r * stride + c0, n);
                    for (int i = 0; i < n; i++) dst[i] = Fp8E4M3.ToSingle(Fp8E4M3.FromSingle(src[i] / sc));
                }
            }
        }
        for (int r = 0; r < rows; r++) codes.Slice(r * stride + cols, stride - cols).Clear();
    }
}
