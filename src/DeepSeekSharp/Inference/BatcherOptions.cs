namespace DeepSeekSharp.Inference;

/// <summary>
/// Limits of a <see cref="Batcher"/>. Every property is validated when the batcher starts.
/// </summary>
public sealed record BatcherOptions
{
    /// <summary>Most sequences decoded together in one step (one pass over the weights for all of them).</summary>
    public int MaxBatch { get; init; } = 8;

    /// <summary>Context of each sequence (prompt + generated tokens); null = the model's max_position_embeddings.</summary>
    public int? ContextLength { get; init; }

    /// <summary>Most requests waiting for admission; one more is refused with <see cref="BatcherQueueFullException"/>.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>
    /// Bytes all latent caches together may hold; a waiting request is admitted only when its cache fits.
    /// null = room for <see cref="MaxBatch"/> caches of the full context.
    /// </summary>
    public long? CacheBudgetBytes { get; init; }

    /// <summary>
    /// Prompt tokens a newcomer runs per step (its prompt is prefilled in chunks of this size, at multiples of it,
    /// so its logits equal a single-sequence run with the same chunk). At most this many prefill tokens share a
    /// step with the running sequences, so a long prompt stalls them for one chunk at a time.
    /// </summary>
    public int PrefillChunk { get; init; } = Generator.PrefillChunk;

    /// <summary>Element type of the latent caches.</summary>
    public CacheDType CacheDType { get; init; } = CacheDType.BF16;

    /// <summary>MTP speculative decoding per sequence (draft with the MTP module, verify in the shared step); null = on when the model has MTP layers.</summary>
    public bool? Speculative { get; init; }
}
