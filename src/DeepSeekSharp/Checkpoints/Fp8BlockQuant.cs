using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// FP8 block-scaled weights as DeepSeek-V3 ships them: <c>weight</c> F8_E4M3 (rows, cols) and
/// <c>weight_scale_inv</c> F32 (ceil(rows/128), ceil(cols/128)), with partial blocks at the bottom and right edges.
/// The weight is <c>w[i,j] = e4m3(q[i,j]) * scale_inv[i/blockRows, j/blockCols]</c> (F32 multiply).
/// </summary>
public static class Fp8BlockQuant
{
    public const int DefaultBlock = 128;

    /// <summary>Shape of the scale tensor for a (rows, cols) weight.</summary>
    public static (int Rows, int Cols) ScaleShape(int rows, int cols, int blockRows = DefaultBlock, int blockCols = DefaultBlock)
    {
        CheckDims(rows, cols, blockRows, blockCols);
        return ((rows + blockRows - 1) / blockRows, (cols + blockCols - 1) / blockCols);
    }

    /// <summary>Dequantises a block-scaled FP8 weight into a new (rows, cols) F32 array.</summary>
    public static float[] Dequantize(ReadOnlySpan<byte> q, ReadOnlySpan<float> scaleInv, int rows, int cols,
        int blockRows = DefaultBlock, int blockCols = DefaultBlock)
    {
        var (sr, sc) = ScaleShape(rows, cols, blockRows, blockCols);
        CheckLength(q.Length, (long)rows * cols, nameof(q));
        CheckLength(scaleInv.Length, (long)sr * sc, nameof(scaleInv));
        var w = new float[(long)rows * cols]; // (rows, cols)
        var table = Fp8E4M3.DecodeTable;
        for (int i = 0; i < rows; i++)
        {
            var sRow = scaleInv.Slice(i / blockRows * sc, sc);
            var qRow = q.Slice(i * cols, cols);
            var wRow = w.AsSpan(i * cols, cols);
            for (int j = 0; j < cols; j++) wRow[j] = table[qRow[j]] * sRow[j / blockCols];
        }
        return w;
    }

    /// <summary>
    /// Quantises a (rows, cols) F32 weight: per block <c>scale_inv = amax / 448</c> (F32 division) and
    /// <c>q = e4m3(w / scale_inv)</c> rounded to nearest even, so each block's largest magnitude maps to 448.
    /// A block that is all zeros (or whose amax / 448 underflows to zero) gets <c>scale_inv = 1</c> and zero codes,
    /// so it dequantises to exact zeros. Non-finite weights are refused.
    /// This is the inverse of <see cref="Dequantize"/> on DeepSeek's published weights: re-quantising
    /// dequantised weights reproduces their codes and scales.
    /// </summary>
    public static (byte[] Q, float[] ScaleInv) Quantize(ReadOnlySpan<float> w, int rows, int cols,
        int blockRows = DefaultBlock, int blockCols = DefaultBlock)
    {
        var (sr, sc) = ScaleShape(rows, cols, blockRows, blockCols);
        CheckLength(w.Length, (long)rows * cols, nameof(w));
        var q = new byte[(long)rows * cols];   // (rows, cols)
        var scaleInv = new float[sr * sc];    // (ceil(rows/blockRows), ceil(cols/blockCols))
        for (int bi = 0; bi < sr; bi++)
        {
            int r0 = bi * blockRows, r1 = Math.Min(rows, r0 + blockRows);
            for (int bj = 0; bj < sc; bj++)
            {
                int c0 = bj * blockCols, c1 = Math.Min(cols, c0 + blockCols);
                float amax = 0;
                for (int i = r0; i < r1; i++)
                {
                    for (int j = c0; j < c1; j++)
                    {
                        float v = w[i * cols + j];
                        if (!float.IsFinite(v)) throw new DssException($"cannot quantise weight element ({i}, {j}) = {v}: not finite");
                        amax = Math.Max(amax, Math.Abs(v));
                    }
                }
                float s = amax / Fp8E4M3.Max;
                if (s == 0)
                {
                    scaleInv[bi * sc + bj] = 1f;
                    continue; // codes stay 0
                }
                scaleInv[bi * sc + bj] = s;
                for (int i = r0; i < r1; i++)
                {
                    for (int j = c0; j < c1; j++) q[i * cols + j] = Fp8E4M3.FromSingle(w[i * cols + j] / s);
                }
            }
        }
        return (q, scaleInv);
    }

    private static void CheckDims(int rows, int cols, int blockRows, int blockCols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"shape ({rows}, {cols}) is negative");
        if (blockRows <= 0 || blockCols <= 0) throw new ArgumentOutOfRangeException(nameof(blockRows), $"block ({blockRows}, {blockCols}) must be positive");
    }

    private static void CheckLength(int actual, long expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"{name} has {actual} elements, expected {expected}", name);
    }
}
