namespace DeepSeekSharp.CostModel;

/// <summary>Parameter counts of one model. "Main model" excludes MTP modules, as DeepSeek's 671B does.</summary>
/// <param name="Total">all main-model parameters (embedding, layers, final norm, head).</param>
/// <param name="Embedding">the input embedding table (a lookup: read one row, no FLOPs).</param>
/// <param name="Head">the output projection (0 when tied to the embedding).</param>
/// <param name="ActiveLayers">parameters of all layers that one token passes through (routed top-k + shared experts).</param>
/// <param name="Mtp">parameters unique to the MTP modules (their embedding and head are shared with the main model).</param>
/// <param name="MtpActive">per-token parameters of the MTP modules, counting the shared head they apply again.</param>
public sealed record ParamCounts(string Model, long Total, long Embedding, long Head, long ActiveLayers, long Mtp, long MtpActive)
{
    /// <summary>
    /// Activated parameters per token, DeepSeek's convention: every layer weight a token uses plus the output
    /// head, not the embedding table (DeepSeek-V3: 36.6B "including 0.9B for the output head"; the paper rounds to 37B).
    /// </summary>
    public long Active => ActiveLayers + Head + (Head == 0 ? Embedding : 0);
}

/// <summary>
/// Counts parameters matrix by matrix from the config (the same shapes as the released checkpoints).
/// Per layer: attention (MLA: wq_a, q_norm, wq_b or wq; wkv_a, kv_norm, wkv_b; wo. GQA/MHA: q, k, v (+ biases), o),
/// two RMSNorms, and either a gated MLP (3 x hidden x width) or an MoE block (routed experts, shared experts and the
/// router, with its bias under noaux_tc). DeepSeek-V3: 671.0B total, 36.6B active (paper: 671B / 37B, residual
/// 0.0% / -1.0%).
/// </summary>
public static class ParamCount
{
    public static ParamCounts Of(ArchConfig c)
    {
        long h = c.HiddenSize;
        long attention = AttentionParams(c);
        long norms = 2 * h;
        long dense = 3 * h * c.Intermediate;
        long total = 0, active = 0;
        for (int i = 0; i < c.Layers; i++)
        {
            var (t, a) = c.IsMoeLayer(i) ? MoeParams(c) : (dense, dense);
            total += attention + norms + t;
            active += attention + norms + a;
        }
        long embedding = (long)c.VocabSize * h;
        long head = c.TieEmbeddings ? 0 : embedding;
        long finalNorm = h;
        total += embedding + head + finalNorm;
        active += finalNorm;

        // MTP module (DeepSeek-V3): enorm, hnorm, eh_proj (2h -> h), one block shaped like the last layer, a final norm.
        long mtp = 0, mtpActive = 0;
        if (c.MtpModules > 0)
        {
            var (t, a) = c.IsMoeLayer(c.Layers) ? MoeParams(c) : (dense, dense);
            long shell = 2 * h + 2 * h * h + h + attention + norms;
            mtp = c.MtpModules * (shell + t);
            mtpActive = c.MtpModules * (shell + a + (head == 0 ? embedding : head));
        }
        return new ParamCounts(c.Name, total, embedding, head, active, mtp, mtpActive);
    }

    /// <summary>Attention parameters of one layer.</summary>
    public static long AttentionParams(ArchConfig c)
    {
        long h = c.HiddenSize, n = c.Heads;
        if (c.Mla is { } m)
        {
            long qk = m.QkNopeHeadDim + m.QkRopeHeadDim;
            long q = m.QLoraRank is { } r ? h * r + r + r * n * qk : h * n * qk;
            long kv = h * (m.KvLoraRank + m.QkRopeHeadDim) + m.KvLoraRank + (long)m.KvLoraRank * n * (m.QkNopeHeadDim + m.VHeadDim);
            long o = n * m.VHeadDim * h;
            return q + kv + o + (c.QkvBias ? n * qk : 0);
        }
        long d = c.HeadDim, kvh = c.KvHeads;
        long proj = h * n * d + 2 * h * kvh * d + n * d * h;
        long bias = c.QkvBias ? n * d + 2 * kvh * d : 0;
        return proj + bias;
    }

    /// <summary>(total, active) parameters of one MoE feed-forward block.</summary>
    public static (long Total, long Active) MoeParams(ArchConfig c)
    {
        var m = c.Moe!;
        long h = c.HiddenSize;
        long expert = 3 * h * m.ExpertIntermediate;
        long shared = 3 * h * m.SharedIntermediate;
        long router = m.RoutedExperts * h + (m.GateBias ? m.RoutedExperts : 0);
        return (m.RoutedExperts * expert + shared + router, m.ExpertsPerToken * expert + shared + router);
    }
}
