using System.Runtime.CompilerServices;

namespace DeepSeekSharp.Numerics;

/// <summary>BF16 as raw ushort bits: the top 16 bits of an IEEE float32.</summary>
public static class BFloat16
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>The NaN every NaN input becomes (PyTorch's c10::BFloat16 does the same, dropping sign and payload).</summary>
    public const ushort CanonicalNaN = 0x7FC0;

    /// <summary>
    /// Round to nearest even, as PyTorch's float -> bfloat16 cast: ties go to the even mantissa, values past the
    /// largest finite BF16 round to infinity, subnormals round like any other value, and any NaN becomes 0x7FC0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7FFFFFFFu) > 0x7F800000u) return CanonicalNaN;
        uint lsb = (u >> 16) & 1u;
        u += 0x7FFFu + lsb;
        return (ushort)(u >> 16);
    }

    /// <summary>Rounds a float to the nearest BF16 value and back.</summary>
    public static float Round(float f) => ToSingle(FromSingle(f));

    public static void ToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = ToSingle(src[i]);
    }

    public static void FromSingle(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = FromSingle(src[i]);
    }
}
