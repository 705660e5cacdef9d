namespace DeepSeekSharp.CostModel;

/// <summary>KV cache size per token of one model (the paper's Table 1).</summary>
/// <param name="ElementsPerLayer">cached elements per token per layer.</param>
/// <param name="Formula">how ElementsPerLayer was formed, e.g. "(512 + 64) x 61 layers".</param>
public sealed record KvCacheSize(string Model, AttentionKind Attention, long ElementsPerLayer, int Layers, double BytesPerElement, string Formula)
{
    public long ElementsPerToken => ElementsPerLayer * Layers;
    public double BytesPerToken => ElementsPerToken * BytesPerElement;
    /// <summary>Kilobytes of 1000 bytes, as the paper prints them.</summary>
    public double KilobytesPerToken => BytesPerToken / 1000;
}

/// <summary>
/// KV cache bytes per token.
/// MLA caches one latent (kv_lora_rank) and one shared rope key (qk_rope_head_dim) per layer: (512 + 64) x 61 x 2 B
/// = 70,272 B for DeepSeek-V3 at BF16. GQA/MHA cache a key and a value per KV head: 2 x kv_heads x head_dim per
/// layer, e.g. Qwen-2.5 72B 2 x 8 x 128 x 80 x 2 B = 327,680 B, LLaMA-3.1 405B 2 x 8 x 128 x 126 x 2 B = 516,096 B.
/// These equal Table 1 exactly (residual 0). Ratios: 4.66x and 7.34x; the paper prints 4.66x and 7.28x, the
/// second being 0.9% below its own byte counts (516.096 / 70.272 = 7.344).
/// </summary>
public static class KvCache
{
    public static KvCacheSize PerToken(ArchConfig c, StorageType cacheType)
    {
        double b = cacheType.CacheBytes();
        if (c.Mla is { } m)
            return new KvCacheSize(c.Name, c.Attention, m.KvLoraRank + m.QkRopeHeadDim, c.Layers, b,
                $"({m.KvLoraRank} + {m.QkRopeHeadDim}) x {c.Layers} layers");
        return new KvCacheSize(c.Name, c.Attention, 2L * c.KvHeads * c.HeadDim, c.Layers, b,
            $"2 x {c.KvHeads} x {c.HeadDim} x {c.Layers} layers");
    }
}
