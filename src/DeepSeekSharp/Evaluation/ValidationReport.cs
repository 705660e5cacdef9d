namespace DeepSeekSharp.Evaluation;

/// <summary>What `dss eval` measures on a held-out split (losses in nats per token).</summary>
public sealed record ValidationReport(
    int Windows,
    long Targets,
    double Loss,
    double UnigramLoss,
    long MtpPairs,
    double MtpAgreement,
    double MtpAccuracy,
    double MainAccuracy)
{
    public double Perplexity => Math.Exp(Loss);
    public double UnigramPerplexity => Math.Exp(UnigramLoss);

    /// <summary>Per MoE layer of the main model, in layer order.</summary>
    public ExpertLoad[] ExpertLoad { get; init; } = [];
}

/// <summary>How evenly one MoE layer routed the split's tokens: max/mean of the per-expert counts, and experts never chosen.</summary>
public sealed record ExpertLoad(int Layer, double MaxOverMean, int UnusedExperts);
