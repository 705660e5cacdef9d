namespace DeepSeekSharp.CostModel;

/// <summary>How a model's attention stores its cache: latent (MLA), grouped (GQA) or one K/V per head (MHA).</summary>
public enum AttentionKind { Mla, Gqa, Mha }

/// <summary>MLA shapes (DeepSeek-V2/V3, Kimi, Moonlight): low-rank queries and one shared latent per token.</summary>
/// <param name="QLoraRank">q_lora_rank; null when queries are not compressed (V2-Lite, Moonlight).</param>
public sealed record MlaShape(int? QLoraRank, int KvLoraRank, int QkNopeHeadDim, int QkRopeHeadDim, int VHeadDim);

/// <summary>Mixture-of-experts shapes. Layer i is MoE when i &gt;= FirstDenseLayers and i % LayerFrequency == 0.</summary>
/// <param name="SharedIntermediate">total width of the shared expert(s) (DeepSeek: n_shared_experts x moe_intermediate_size).</param>
public sealed record MoeShape(int RoutedExperts, int ExpertsPerToken, int ExpertIntermediate, int SharedIntermediate,
    int FirstDenseLayers, int LayerFrequency, bool GateBias);

/// <summary>
/// What the cost model needs to know about a decoder-only transformer, read from a Hugging Face config.json
/// by <see cref="ArchConfigReader"/>. Independent of Modeling/ModelConfig, which only describes runnable DeepSeek models.
/// Every MLP is gated (gate, up, down: 3 x hidden x width parameters).
/// </summary>
public sealed record ArchConfig
{
    /// <summary>Display name (e.g. "DeepSeek-V3").</summary>
    public required string Name { get; init; }
    /// <summary>Where it was read from (a file path or "shipped:deepseek-v3").</summary>
    public required string Source { get; init; }
    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int Layers { get; init; }
    public required int VocabSize { get; init; }
    public required int Heads { get; init; }
    /// <summary>Key/value heads (GQA/MHA); equals <see cref="Heads"/> for MLA, where it does not size the cache.</summary>
    public required int KvHeads { get; init; }
    /// <summary>Per-head q/k/v width of GQA/MHA models (head_dim, kv_channels or hidden/heads).</summary>
    public required int HeadDim { get; init; }
    /// <summary>Width of each dense MLP (gate and up each have this many rows).</summary>
    public required int Intermediate { get; init; }
    public required bool TieEmbeddings { get; init; }
    /// <summary>Biases on q, k and v (Qwen); negligible in size but counted.</summary>
    public bool QkvBias { get; init; }
    public MlaShape? Mla { get; init; }
    public MoeShape? Moe { get; init; }
    /// <summary>num_nextn_predict_layers: MTP modules (not part of the main model's parameter count).</summary>
    public int MtpModules { get; init; }

    public AttentionKind Attention => Mla is not null ? AttentionKind.Mla : KvHeads < Heads ? AttentionKind.Gqa : AttentionKind.Mha;

    /// <summary>Query/key width per head that attention scores are computed over.</summary>
    public int QkHeadDim => Mla is { } m ? m.QkNopeHeadDim + m.QkRopeHeadDim : HeadDim;
    /// <summary>Value width per head.</summary>
    public int VHeadDim => Mla is { } m ? m.VHeadDim : HeadDim;

    public bool IsMoeLayer(int layer) =>
        Moe is { } m && m.RoutedExperts > 0 && layer >= m.FirstDenseLayers && layer % Math.Max(1, m.LayerFrequency) == 0;

    public int MoeLayerCount => Enumerable.Range(0, Layers).Count(IsMoeLayer);
}
