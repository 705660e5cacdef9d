using System.CommandLine;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>The `--precision` and `--fp8-scales` options of `dss train`, `dss grad` and `dss experiment`.</summary>
internal static class PrecisionOptions
{
    public static Option<string> Precision()
    {
        var o = new Option<string>("--precision")
        {
            Description = "GEMM numerics: fp32; bf16 (inputs rounded to BF16, F32 accumulation); fp8 (DeepSeek-V3's recipe: E4M3 block-scaled decoder linears with promoted accumulation, BF16 elsewhere, BF16 AdamW moments)",
            DefaultValueFactory = _ => "fp32",
        };
        o.AcceptOnlyFromAmong(TrainPrecisionNames.All);
        return o;
    }

    public static Option<string> Fp8Scales()
    {
        var o = new Option<string>("--fp8-scales")
        {
            Description = "FP8 tile/block scales: float (amax/448) or ue8m0 (rounded up to a power of two)",
            DefaultValueFactory = _ => "float",
        };
        o.AcceptOnlyFromAmong("float", "ue8m0");
        return o;
    }
}
