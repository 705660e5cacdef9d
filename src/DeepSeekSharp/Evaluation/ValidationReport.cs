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
}
