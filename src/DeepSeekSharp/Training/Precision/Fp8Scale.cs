using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Training.Precision;

/// <summary>The scale of one FP8 tile or block from its max-abs: the tile is stored as e4m3(x / scale).</summary>
public static class Fp8Scale
{
    /// <summary>
    /// amax / 448 (F32 division), or the next power of two for UE8M0. minAmax floors the max-abs first (DeepSeek's
    /// inference act_quant uses 1e-4; training uses 0 so tiny gradients keep their precision). A tile whose scale
    /// would be 0 (all zeros) gets scale 1, so its codes are 0 and it dequantises to exact zeros.
    /// </summary>
    public static float Of(float amax, Fp8ScaleFormat format, float minAmax = 0f)
    {
        float s = Math.Max(amax, minAmax) / Fp8E4M3.Max;
        if (s == 0f) return 1f;
        return format == Fp8ScaleFormat.Ue8m0 ? PowerOfTwoCeiling(s) : s;
    }

    /// <summary>
    /// The scale of an activation or gradient tile, computed as DeepSeek's act_quant kernel does: max(amax, minAmax)
    /// times the F32 reciprocal of 448 (its Triton division by the constant compiles to that multiply, which is one
    /// ulp above amax / 448 for some amax), or the next power of two for UE8M0; 1 for an all-zero tile.
    /// </summary>
    public static float OfTile(float amax, Fp8ScaleFormat format, float minAmax = 0f)
    {
        float s = Math.Max(amax, minAmax) * (1f / Fp8E4M3.Max);
        if (s == 0f) return 1f;
        return format == Fp8ScaleFormat.Ue8m0 ? PowerOfTwoCeiling(s) : s;
    }

    /// <summary>The smallest power of two at or above a positive finite s (infinity and NaN pass through).</summary>
    public static float PowerOfTwoCeiling(float s)
    {
        if (!float.IsFinite(s)) return s;
        uint bits = BitConverter.SingleToUInt32Bits(s);
        if ((bits & 0x7F800000u) == 0) return MathF.ScaleB(1f, (int)Math.Ceiling(Math.Log2(s))); // subnormal
        if ((bits & 0x007FFFFFu) == 0) return s;
        return BitConverter.UInt32BitsToSingle((bits & 0x7F800000u) + 0x00800000u);
    }
}
