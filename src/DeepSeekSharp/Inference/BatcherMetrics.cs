namespace DeepSeekSharp.Inference;

/// <summary>A snapshot of a <see cref="Batcher"/>'s state and counters since it started.</summary>
/// <param name="QueueLength">Requests waiting for admission.</param>
/// <param name="ActiveSequences">Sequences holding a cache (prefilling or decoding).</param>
/// <param name="CacheBytesInUse">Bytes of the active sequences' latent caches.</param>
/// <param name="CacheBudgetBytes">The budget those caches share.</param>
/// <param name="Steps">Forward passes run.</param>
/// <param name="PromptTokens">Prompt tokens prefilled.</param>
/// <param name="GeneratedTokens">Tokens sampled and handed out.</param>
/// <param name="Completed">Sequences that ended by a stop condition or length.</param>
/// <param name="Cancelled">Sequences dropped because their caller cancelled or went away.</param>
/// <param name="Failed">Sequences ended by an error.</param>
/// <param name="Refused">Requests refused because the queue was full.</param>
/// <param name="DraftedTokens">MTP drafts proposed (speculative decoding).</param>
/// <param name="AcceptedDrafts">MTP drafts the main model accepted.</param>
public sealed record BatcherMetrics(
    int QueueLength,
    int ActiveSequences,
    long CacheBytesInUse,
    long CacheBudgetBytes,
    long Steps,
    long PromptTokens,
    long GeneratedTokens,
    long Completed,
    long Cancelled,
    long Failed,
    long Refused,
    long DraftedTokens = 0,
    long AcceptedDrafts = 0);
