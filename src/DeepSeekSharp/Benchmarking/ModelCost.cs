using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Benchmarking;

/// <summary>
/// The work of a forward pass, counted from the config and the checkpoint: multiply-adds per token (what prefill is
/// measured against) and bytes read per decoded token in their stored dtype (what decode is measured against).
/// MTP layers are not counted (plain decoding does not run them).
/// </summary>
public sealed class ModelCost
{
    private readonly ModelConfig _c;

    /// <summary>Multiply-adds of the projections of all main layers per token (routed experts: top-k of them, plus the router).</summary>
    public long LayerMacsPerToken { get; }
    /// <summary>Multiply-adds of the output head per token whose logits are computed.</summary>
    public long HeadMacs { get; }
    /// <summary>Bytes of weights one decoded token reads: all non-expert layer weights (with FP8 scales), top-k routed experts, one embedding row, the head.</summary>
    public long DecodeWeightBytes { get; }
    /// <summary>Bytes per cached position per layer of the latent cache (kv_lora_rank + qk_rope_head_dim values).</summary>
    public int CacheBytesPerPositionLayer { get; }

    public ModelCost(Transformer model, int cacheValueBytes = 2)
    {
        _c = model.Config;
        var c = _c;
        int D = c.HiddenSize, nh = c.NumAttentionHeads;
        long attn = (c.QLoraRank is int qr ? (long)qr * D + (long)nh * c.QkHeadDim * qr : (long)nh * c.QkHeadDim * D)
            + (long)(c.KvLoraRank + c.QkRopeHeadDim) * D + (long)nh * (c.QkNopeHeadDim + c.VHeadDim) * c.KvLoraRank + (long)D * nh * c.VHeadDim;
        long macs = 0;
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            macs += attn;
            macs += c.IsMoeLayer(l)
                ? (long)c.NRoutedExperts * D + 3L * D * c.MoeIntermediateSize * (c.NumExpertsPerTok + c.NSharedExperts)
                : 3L * D * c.IntermediateSize;
        }
        LayerMacsPerToken = macs;
        HeadMacs = (long)c.VocabSize * D;
        CacheBytesPerPositionLayer = (c.KvLoraRank + c.QkRopeHeadDim) * cacheValueBytes;
        DecodeWeightBytes = WeightBytesPerToken(model.Weights.Checkpoint, c);
    }

    /// <summary>Multiply-adds of causal attention for queries at positions [start, start + T) (naive form: scores and values per head).</summary>
    public long AttentionMacs(int start, int T)
    {
        long sumLen = 0;
        for (int t = 0; t < T; t++) sumLen += start + t + 1;
        return sumLen * _c.NumAttentionHeads * (_c.QkHeadDim + _c.VHeadDim) * _c.NumHiddenLayers;
    }

    /// <summary>FLOPs (2 per multiply-add) of a prefill of T tokens from position 0 with logits of the last token only.</summary>
    public double PrefillFlops(int T) => 2.0 * ((double)LayerMacsPerToken * T + HeadMacs + AttentionMacs(0, T));

    /// <summary>Latent cache bytes read by a decoded token that attends over len positions.</summary>
    public long DecodeCacheBytes(int len) => (long)len * CacheBytesPerPositionLayer * _c.NumHiddenLayers;

    private static long WeightBytesPerToken(Checkpoint ck, ModelConfig c)
    {
        long bytes = 0, routed = 0;
        foreach (var name in ck.TensorNames)
        {
            var t = ck.Info(name);
            if (name == HfNames.Embed)
            {
                bytes += t.ByteLength / Math.Max(1, c.VocabSize); // one row
                continue;
            }
            if (LayerOf(name) is int l && l >= c.NumHiddenLayers) continue; // MTP
            if (name.Contains(".mlp.experts.", StringComparison.Ordinal)) routed += t.ByteLength;
            else bytes += t.ByteLength;
        }
        if (c.NRoutedExperts > 0) bytes += routed * c.NumExpertsPerTok / c.NRoutedExperts;
        return bytes;
    }

    private static int? LayerOf(string name)
    {
        const string p = "model.layers.";
        if (!name.StartsWith(p, StringComparison.Ordinal)) return null;
        int end = name.IndexOf('.', p.Length);
        return end > 0 && int.TryParse(name.AsSpan(p.Length, end - p.Length), out int l) ? l : null;
    }
}
