using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Training.Precision;

/// <summary>
/// Fine-grained activation quantisation of DeepSeek-V3: each row of a (rows, cols) matrix is cut into 1 x 128
/// tiles along cols; a tile gets scale s = amax / 448 (<see cref="Fp8Scale.OfTile"/>) and codes q = e4m3(x / s)
/// (F32 division, round to nearest even), so x ~ e4m3(q) * s.
/// </summary>
public static class TileQuantizer
{
    public const int Tile = 128;

    public static int Tiles(int cols) => (cols + Tile - 1) / Tile;

    /// <summary>E4M3 bytes, as DeepSeek's act_quant kernel: q (rows, cols), s (rows, ceil(cols/128)).</summary>
    public static void QuantizeBytes(ReadOnlySpan<float> x, int rows, int cols, Span<byte> q, Span<float> s,
        Fp8ScaleFormat format = Fp8ScaleFormat.Float, float minAmax = 0f)
    {
        int nt = Tiles(cols);
        Check(x.Length, rows, cols, q.Length, (long)rows * cols, s.Length, (long)rows * nt);
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < nt; t++)
            {
                int c0 = t * Tile, n = Math.Min(Tile, cols - c0);
                var xt = x.Slice(r * cols + c0, n);
                float sc = s[r * nt + t] = Fp8Scale.OfTile(MaxAbs(xt), format, minAmax);
                var qt = q.Slice(r * cols + c0, n);
                for (int i = 0; i < n; i++) qt[i] = Fp8E4M3.FromSingle(xt[i] / sc);
            }
        }
    }

    /// <summary>
    /// The same quantisation with the codes as their E4M3 values in F32 (unscaled), in rows of length stride
    /// (at least cols; the padding is zeroed): codes (rows, stride), s (rows, ceil(cols/128)).
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> x, int rows, int cols, Span<float> codes, int stride, Span<float> s,
        Fp8ScaleFormat format = Fp8ScaleFormat.Float, float minAmax = 0f)
    {
        int nt = Tiles(cols);
        if (stride < cols) throw new ArgumentException($"stride {stride} is shorter than the rows ({cols})");
        Check(x.Length, rows, cols, codes.Length, (long)rows * stride, s.Length, (long)rows * nt);
        for (int r = 0; r < rows; r++)
        {
            var row = codes.Slice(r * stride, stride);
            row[cols..].Clear();
            for (int t = 0; t < nt; t++)
            {
                int c0 = t * Tile, n = Math.Min(Tile, cols - c0);
                var xt = x.Slice(r * cols + c0, n);
                float sc = s[r * nt + t] = Fp8Scale.OfTile(MaxAbs(xt), format, minAmax);
                var ct = row.Slice(c0, n);
                for (int i = 0; i < n; i++) ct[i] = Fp8E4M3.ToSingle(Fp8E4M3.FromSingle(xt[i] / sc));
            }
        }
    }

    internal static float MaxAbs(ReadOnlySpan<float> x)
    {
        float m = 0;
        foreach (var v in x)
        {
            float a = Math.Abs(v);
            if (a > m || float.IsNaN(a)) m = a;
        }
        return m;
    }

    private static void Check(int xLen, int rows, int cols, int qLen, long needQ, int sLen, long needS)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"shape ({rows}, {cols}) is negative");
        if (xLen < (long)rows * cols || qLen < needQ || sLen < needS)
            throw new ArgumentException($"tile quantiser: buffers hold {xLen}, {qLen}, {sLen} values but ({rows}, {cols}) needs {(long)rows * cols}, {needQ}, {needS}");
    }
}
