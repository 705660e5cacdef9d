using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Benchmarking;

/// <summary>
/// Random values for benchmark checkpoints, fast enough for multi-GB models: a SplitMix64 stream per tensor
/// (seeded from the seed and the tensor's name, so a tensor's values do not depend on the order of writing) drives
/// a 4096-entry table of normal quantiles, five 12-bit draws per 64-bit number. The result is a normal distribution
/// discretised to 4096 levels (|z| up to 3.5), encoded once per table into the stored dtype.
/// </summary>
internal static class InitDistribution
{
    public const int TableBits = 12;
    public const int TableSize = 1 << TableBits;

    /// <summary>Standard-normal quantiles at (i + 0.5) / 4096.</summary>
    public static readonly float[] Quantiles = BuildQuantiles();

    private static float[] BuildQuantiles()
    {
        var q = new float[TableSize];
        for (int i = 0; i < TableSize; i++) q[i] = (float)InverseNormalCdf((i + 0.5) / TableSize);
        return q;
    }

    /// <summary>BF16 bits of N(0, std) quantiles.</summary>
    public static ushort[] Bf16Table(float std)
    {
        var t = new ushort[TableSize];
        for (int i = 0; i < TableSize; i++) t[i] = BFloat16.FromSingle(Quantiles[i] * std);
        return t;
    }

    /// <summary>E4M3 codes of N(0, codeStd) quantiles (|value| at most 3.5 codeStd, below 448 for codeStd 64).</summary>
    public static byte[] Fp8Table(float codeStd)
    {
        var t = new byte[TableSize];
        for (int i = 0; i < TableSize; i++) t[i] = Fp8E4M3.FromSingle(Quantiles[i] * codeStd);
        return t;
    }

    /// <summary>A 64-bit seed from the run's seed and a tensor name (FNV-1a of the name, mixed).</summary>
    public static ulong SeedFor(ulong seed, string name)
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in name) h = (h ^ ch) * 1099511628211UL;
        ulong s = seed ^ h;
        return SplitMix64(ref s);
    }

    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Fills dst with table entries chosen by the stream (5 entries per 64-bit number).</summary>
    public static void Fill<T>(Span<T> dst, ReadOnlySpan<T> table, ref ulong state) where T : unmanaged
    {
        int i = 0;
        for (; i + 5 <= dst.Length; i += 5)
        {
            ulong r = SplitMix64(ref state);
            dst[i] = table[(int)(r & 4095)];
            dst[i + 1] = table[(int)((r >> 12) & 4095)];
            dst[i + 2] = table[(int)((r >> 24) & 4095)];
            dst[i + 3] = table[(int)((r >> 36) & 4095)];
            dst[i + 4] = table[(int)((r >> 48) & 4095)];
        }
        if (i < dst.Length)
        {
            ulong r = SplitMix64(ref state);
            for (; i < dst.Length; i++, r >>= 12) dst[i] = table[(int)(r & 4095)];
        }
    }

    /// <summary>Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9).</summary>
    public static double InverseNormalCdf(double p)
    {
        if (p <= 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p));
        ReadOnlySpan<double> a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        ReadOnlySpan<double> b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        ReadOnlySpan<double> c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        ReadOnlySpan<double> d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) return -InverseNormalCdf(1 - p);
        double u = p - 0.5, r = u * u;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
