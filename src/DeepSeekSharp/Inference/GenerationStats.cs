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

    public double PrefillTokensPerSecond =>
        PrefillTime.TotalSeconds > 0 ? (PromptTokens - CachedPromptTokens) / PrefillTime.TotalSeconds : 0;

    /// <summary>Decode speed over the tokens after the first (the first comes from the prefill's logits).</summary>
    public double DecodeTokensPerSecond =>
        DecodeTime.TotalSeconds > 0 && GeneratedTokens > 1 ? (GeneratedTokens - 1) / DecodeTime.TotalSeconds : 0;
}
