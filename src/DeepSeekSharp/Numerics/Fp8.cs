using System.Runtime.CompilerServices;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// Shared encode/decode of small IEEE-like floats (sign, E exponent bits, M mantissa bits).
/// Encoding rounds to nearest even on the exact value; formats differ only in what overflow becomes.
/// </summary>
internal static class MiniFloat
{
    public static float[] BuildDecodeTable(int expBits, int manBits, bool ieeeSpecials)
    {
        var table = new float[256];
        int bias = (1 << (expBits - 1)) - 1;
        int expMax = (1 << expBits) - 1;
        for (int b = 0; b < 256; b++)
        {
            int sign = (b >> 7) & 1;
            int e = (b >> manBits) & expMax;
            int m = b & ((1 << manBits) - 1);
            double v;
            if (ieeeSpecials && e == expMax)
                v = m == 0 ? double.PositiveInfinity : double.NaN;
            else if (!ieeeSpecials && e == expMax && m == (1 << manBits) - 1)
                v = double.NaN; // E4M3FN: only S.1111.111 is NaN, no infinities
            else if (e == 0)
                v = m * Math.Pow(2, 1 - bias - manBits);
            else
                v = (1 + m / (double)(1 << manBits)) * Math.Pow(2, e - bias);
            table[b] = (float)(sign == 1 ? -v : v);
        }
        return table;
    }

    /// <summary>
    /// Magnitude code (without sign) of |x| rounded to nearest even with the given format; may exceed the
    /// largest finite code, which the caller maps to NaN or infinity.
    /// </summary>
    public static int EncodeMagnitude(double a, int expBits, int manBits)
    {
        int bias = (1 << (expBits - 1)) - 1;
        int emin = 1 - bias;
        if (a == 0) return 0;
        int e = Math.ILogB(a);
        if (e < emin)
        {
            // Subnormal range: quantum 2^(emin - manBits); code = n (n == 2^manBits is the smallest normal).
            double n = Math.Round(Math.ScaleB(a, manBits - emin), MidpointRounding.ToEven);
            return (int)n;
        }
        double q = Math.Round(Math.ScaleB(a, manBits - e), MidpointRounding.ToEven); // in [2^M, 2^(M+1)]
        int nm = (int)q;
        if (nm == 1 << (manBits + 1)) { e++; nm = 1 << manBits; }
        long code = ((long)(e + bias) << manBits) | (long)(nm - (1 << manBits));
        return code > int.MaxValue ? int.MaxValue : (int)code;
    }
}

/// <summary>FP8 E4M3 "fn" (finite, one NaN pattern per sign, max 448), as in DeepSeek-V3 weights.</summary>
public static class Fp8E4M3
{
    public const float Max = 448f;
    private static readonly float[] Table = MiniFloat.BuildDecodeTable(4, 3, ieeeSpecials: false);

    /// <summary>All 256 decoded values, indexed by byte.</summary>
    public static ReadOnlySpan<float> DecodeTable => Table;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(byte b) => Table[b];

    /// <summary>Round to nearest even, as PyTorch's cast: |x| above 464 (the midpoint past 448) and NaN/inf become NaN.</summary>
    public static byte FromSingle(float x)
    {
        byte sign = (byte)(BitConverter.SingleToUInt32Bits(x) >> 31 << 7);
        if (float.IsNaN(x) || float.IsInfinity(x)) return (byte)(sign | 0x7F);
        int code = MiniFloat.EncodeMagnitude(Math.Abs((double)x), 4, 3);
        if (code > 0x7E) return (byte)(sign | 0x7F);
        return (byte)(sign | code);
    }
}

/// <summary>FP8 E5M2 (IEEE-like: infinities and NaNs, max 57344).</summary>
public static class Fp8E5M2
{
    public const float Max = 57344f;
    private static readonly float[] Table = MiniFloat.BuildDecodeTable(5, 2, ieeeSpecials: true);

    public static ReadOnlySpan<float> DecodeTable => Table;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(byte b) => Table[b];

    /// <summary>Round to nearest even; overflow becomes infinity, NaN stays NaN.</summary>
    public static byte FromSingle(float x)
    {
        byte sign = (byte)(BitConverter.SingleToUInt32Bits(x) >> 31 << 7);
        if (float.IsNaN(x)) return (byte)(sign | 0x7F);
        if (float.IsInfinity(x)) return (byte)(sign | 0x7C);
        int code = MiniFloat.EncodeMagnitude(Math.Abs((double)x), 5, 2);
        if (code >= 0x7C) return (byte)(sign | 0x7C);
        return (byte)(sign | code);
    }
}
