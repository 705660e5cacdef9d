namespace DeepSeekSharp.CostModel;

/// <summary>The decode roofline of one model on one machine, batch 1.</summary>
public sealed record DecodeBound(string Model, string Hardware, string Weights, string Cache, int Context,
    double WeightBytesPerToken, double CacheBytesPerToken, double FlopsPerToken,
    double MemoryBoundTokensPerSecond, double? ComputeBoundTokensPerSecond)
{
    public double BytesPerToken => WeightBytesPerToken + CacheBytesPerToken;
    public double TokensPerSecond => Math.Min(MemoryBoundTokensPerSecond, ComputeBoundTokensPerSecond ?? double.PositiveInfinity);
    public string Limit => ComputeBoundTokensPerSecond is { } c && c < MemoryBoundTokensPerSecond ? "compute" : "memory bandwidth";
}

/// <summary>
/// Upper bound on single-stream decode speed. Each token reads every activated weight once (<see cref="ParamCounts.Active"/>
/// the one embedding row it looks up is negligible) at the weight type, plus the whole KV cache of the context at the cache
/// type; it computes 2 FLOPs per activated weight plus attention over the context (MLA in its absorbed form: scores over
/// kv_lora_rank + rope and values over kv_lora_rank, per head). tokens/s &lt;= min(bandwidth / bytes, compute / FLOPs).
/// DeepSeek-V3 at 4.5-bit weights (20.6 GB per token) on the paper's ~$10k DDR5 server (614 GB/s): about 29 tok/s bound,
/// against the paper's "nearly 20 TPS" measured, i.e. about 0.68 of the bound.
/// </summary>
public static class DecodeRoofline
{
    public static DecodeBound Compute(ArchConfig c, HardwareProfile hw, StorageType weights, StorageType cache, int context)
    {
        if (context < 0) throw new DssException($"context length must not be negative, got {context}");
        if (hw.BandwidthGBps <= 0) throw new DssException($"memory bandwidth must be positive, got {hw.BandwidthGBps} GB/s");
        if (hw.ComputeTflops is <= 0) throw new DssException($"compute must be positive, got {hw.ComputeTflops} TFLOP/s");
        var p = ParamCount.Of(c);
        double weightBytes = p.Active * weights.Bytes();
        double cacheBytes = KvCache.PerToken(c, cache).BytesPerToken * context;
        double flops = 2.0 * p.Active + AttentionFlops(c, context);
        double memBound = hw.BandwidthGBps * 1e9 / (weightBytes + cacheBytes);
        double? computeBound = hw.ComputeTflops is { } t ? t * 1e12 / flops : null;
        return new DecodeBound(c.Name, hw.Name, weights.Name(), cache.Name(), context, weightBytes, cacheBytes, flops, memBound, computeBound);
    }

    /// <summary>Attention FLOPs of one decode token over <paramref name="context"/> cached positions, all layers.</summary>
    public static double AttentionFlops(ArchConfig c, int context)
    {
        double perPosition = c.Mla is { } m
            ? 2.0 * c.Heads * (m.KvLoraRank + m.QkRopeHeadDim + m.KvLoraRank)
            : 2.0 * c.Heads * (c.QkHeadDim + c.VHeadDim);
        return perPosition * context * c.Layers;
    }
}
