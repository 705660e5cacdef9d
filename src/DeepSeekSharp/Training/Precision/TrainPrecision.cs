namespace DeepSeekSharp.Training.Precision;

/// <summary>Numerics of the training GEMMs (master weights, weight gradients and everything else stay F32).</summary>
public enum TrainPrecision
{
    /// <summary>F32 inputs, F32 accumulation: the reference.</summary>
    Fp32,
    /// <summary>Inputs of every GEMM rounded to BF16 (nearest even), F32 accumulation.</summary>
    Bf16,
    /// <summary>
    /// DeepSeek-V3's recipe: the decoder-block linear layers run Fprop, Dgrad and Wgrad on E4M3 inputs with
    /// fine-grained online scales and promoted accumulation; the other GEMMs (output head, router) as in Bf16;
    /// AdamW moments stored in BF16.
    /// </summary>
    Fp8,
}

/// <summary>How an FP8 tile or block scale is chosen from its max-abs.</summary>
public enum Fp8ScaleFormat
{
    /// <summary>scale = amax / 448 in F32, so the largest magnitude maps to 448 exactly.</summary>
    Float,
    /// <summary>scale = 2^ceil(log2(amax / 448)): a power of two (UE8M0), so scaling is exact.</summary>
    Ue8m0,
}

public static class TrainPrecisionNames
{
    public static readonly string[] All = { "fp32", "bf16", "fp8" };

    public static TrainPrecision Parse(string s) => s.ToLowerInvariant() switch
    {
        "fp32" or "f32" => TrainPrecision.Fp32,
        "bf16" => TrainPrecision.Bf16,
        "fp8" => TrainPrecision.Fp8,
        _ => throw new DssException($"unknown precision '{s}': use fp32, bf16 or fp8"),
    };

    public static string Name(this TrainPrecision p) => p switch
    {
        TrainPrecision.Fp32 => "fp32",
        TrainPrecision.Bf16 => "bf16",
        _ => "fp8",
    };

    public static Fp8ScaleFormat ParseScales(string s) => s.ToLowerInvariant() switch
    {
        "float" or "f32" => Fp8ScaleFormat.Float,
        "ue8m0" => Fp8ScaleFormat.Ue8m0,
        _ => throw new DssException($"unknown FP8 scale format '{s}': use float or ue8m0"),
    };
}
