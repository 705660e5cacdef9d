using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Training.Precision;

/// <summary>Rounds F32 values to the nearest BF16 value (ties to even), kept in F32.</summary>
public static class Bf16Round
{
    public static void Round(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = BFloat16.Round(src[i]);
    }

    public static void RoundInPlace(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = BFloat16.Round(x[i]);
    }
}
