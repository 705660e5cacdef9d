namespace DeepSeekSharp.CostModel;

public sealed record MtpSpeedupResult(double Acceptance, int Depth, double DraftCost, double TokensPerStep, double Speedup);

/// <summary>
/// Expected decode speed-up of MTP speculative decoding. Each step runs the main model once (verifying the drafts it
/// was given) and the k MTP modules once each; draft i is kept only if drafts 1..i-1 were, each with probability a:
///   tokens per step = 1 + a + a^2 + ... + a^k,   speed-up = tokens per step / (1 + k x c),
/// c being one MTP module's cost relative to a main-model step (decode is memory-bound: the ratio of bytes read).
/// The paper: one module, 80-90% acceptance of the second token, 1.8x TPS. With free drafts a = 0.8 gives exactly
/// 1.8x and 0.85-0.9 give 1.85-1.9x; with DeepSeek-V3's module priced by its weights (c = 4.4%, 1.6B of 36.6B)
/// 0.85 gives 1.77x and 0.9 gives 1.82x (residual -1.6% / +1.1% against 1.8x).
/// </summary>
public static class MtpSpeedup
{
    public static readonly double[] PaperAcceptance = [0.80, 0.85, 0.90];

    public static MtpSpeedupResult Compute(double acceptance, int depth = 1, double draftCost = 0)
    {
        if (acceptance is < 0 or > 1 || double.IsNaN(acceptance)) throw new DssException($"acceptance must be between 0 and 1, got {acceptance}");
        if (depth < 1) throw new DssException($"MTP depth must be at least 1, got {depth}");
        if (draftCost < 0 || double.IsNaN(draftCost)) throw new DssException($"draft cost must not be negative, got {draftCost}");
        double tokens = 0, p = 1;
        for (int i = 0; i <= depth; i++) { tokens += p; p *= acceptance; }
        return new MtpSpeedupResult(acceptance, depth, draftCost, tokens, tokens / (1 + depth * draftCost));
    }

    /// <summary>One MTP module's cost relative to a decode step: its per-token weights over the main model's.</summary>
    public static double DraftCostFromConfig(ArchConfig c)
    {
        var cfg = c.MtpModules > 0 ? c : c with { MtpModules = 1 };
        var p = ParamCount.Of(cfg);
        return (double)p.MtpActive / cfg.MtpModules / p.Active;
    }
}
