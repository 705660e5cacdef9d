namespace DeepSeekSharp.Inference;

/// <summary>Counts and timings of one generation call.</summary>
public sealed class GenerationStats
{
    public int PromptTokens { get; internal set; }
    /// <summary>Prompt tokens that were already in the cache (a shared prefix with the previous turn).</summary>
    public int CachedPromptTokens { get; internal set; }
    public int GeneratedTokens { get; internal set; }
    public FinishReason? FinishReason { get; internal set; }
    public TimeSpan PrefillTime { get; internal set; }
    public TimeSpan DecodeTime { get; internal set; }

    /// <summary>Forward passes of the main model during decode (one per token without speculation).</summary>
    public int MainSteps { get; internal set; }
    /// <summary>MTP drafts proposed and accepted (speculative decoding).</summary>
    public int DraftedTokens { get; internal set; }
    public int AcceptedDrafts { get; internal set; }

    public double AcceptanceRate => DraftedTokens > 0 ? (double)AcceptedDrafts / DraftedTokens : 0;

    /// <summary>Tokens produced per main-model decode step (the first token comes from the prefill).</summary>
    public double TokensPerStep => MainSteps > 0 ? (GeneratedTokens - 1) / (double)MainSteps : 0;

    public double PrefillTokensPerSecond =>
        PrefillTime.TotalSeconds > 0 ? (PromptTokens - CachedPromptTokens) / PrefillTime.TotalSeconds : 0;

    /// <summary>Decode speed over the tokens after the first (the first comes from the prefill's logits).</summary>
    public double DecodeTokensPerSecond =>
        DecodeTime.TotalSeconds > 0 && GeneratedTokens > 1 ? (GeneratedTokens - 1) / DecodeTime.TotalSeconds : 0;
}
