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

    /// <summary>
    /// Round to nearest even, as PyTorch's cast: |x| up to 464 (the midpoint past 448, which ties to the even 448)
    /// becomes 448, anything larger and NaN/inf become NaN (0x7F with the input's sign). Bit-level, after c10's
    /// <c>fp8e4m3fn_from_fp32_value</c>; <see cref="FromSingleReference(float)"/> is the plain twin it is tested against.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte FromSingle(float x)
    {
        uint f = BitConverter.SingleToUInt32Bits(x);
        uint sign = (f >> 24) & 0x80u;
        f &= 0x7FFFFFFFu;
        uint r;
        if (f > 0x43E80000u) r = 0x7F;                 // |x| > 464, inf, NaN
        else if (f < 121u << 23)                        // |x| < 2^-6: subnormal codes 0..8
            r = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(f) + 16384f) - (141u << 23); // FP add rounds to a 2^-9 grid (RNE)
        else
        {
            uint mantOdd = (f >> 20) & 1u;
            r = (f + (unchecked((uint)(7 - 127)) << 23) + 0x7FFFFu + mantOdd) >> 20;
        }
        return (byte)(r | sign);
    }

    /// <summary>Encodes a span (same rounding as <see cref="FromSingle(float)"/>).</summary>
    public static void FromSingle(ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = FromSingle(src[i]);
    }

    /// <summary>The same conversion on the exact value in double arithmetic (slow; the reference for <see cref="FromSingle(float)"/>).</summary>
    internal static byte FromSingleReference(float x)
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

    /// <summary>
    /// Round to nearest even, as PyTorch's cast: values from 61440 (the midpoint past 57344, which ties to even,
    /// i.e. up) become infinity; NaN becomes 0x7F with the input's sign. Bit-level, after c10's
    /// <c>fp8e5m2_from_fp32_value</c>; <see cref="FromSingleReference(float)"/> is the plain twin it is tested against.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte FromSingle(float x)
    {
        uint f = BitConverter.SingleToUInt32Bits(x);
        uint sign = (f >> 24) & 0x80u;
        f &= 0x7FFFFFFFu;
        uint r;
        if (f >= 143u << 23) r = f > 0x7F800000u ? 0x7Fu : 0x7Cu; // |x| >= 65536: inf (NaN stays NaN)
        else if (f < 113u << 23)                                      // |x| < 2^-14: subnormal codes 0..4
            r = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(f) + 128f) - (134u << 23); // 2^-16 grid (RNE)
        else
        {
            uint mantOdd = (f >> 21) & 1u;
            r = (f + (unchecked((uint)(15 - 127)) << 23) + 0xFFFFFu + mantOdd) >> 21; // may carry into 0x7C: inf
        }
        return (byte)(r | sign);
    }

    /// <summary>The same conversion on the exact value in double arithmetic (slow; the reference for <see cref="FromSingle(float)"/>).</summary>
    internal static byte FromSingleReference(float x)
    {
        byte sign = (byte)(BitConverter.SingleToUInt32Bits(x) >> 31 << 7);
        if (float.IsNaN(x)) return (byte)(sign | 0x7F);
        if (float.IsInfinity(x)) return (byte)(sign | 0x7C);
        int code = MiniFloat.EncodeMagnitude(Math.Abs((double)x), 5, 2);
        if (code >= 0x7C) return (byte)(sign | 0x7C);
        return (byte)(sign | code);
    }

    /// <summary>Encodes a span (same rounding as <see cref="FromSingle(float)"/>).</summary>
    public static void FromSingle(ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = FromSingle(src[i]);
    }
}
