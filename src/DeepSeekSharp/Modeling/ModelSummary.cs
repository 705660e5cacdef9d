using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Modeling;

/// <summary>What `dss inspect` reports about a checkpoint: parameter counts from the tensors, bytes by dtype.</summary>
public sealed record ModelSummary(
    long TotalParams,
    long ActivatedParams,
    long MtpParams,
    long RoutedExpertParams,
    IReadOnlyDictionary<DType, long> BytesByDType,
    int DenseLayers,
    int MoeLayers,
    IReadOnlyList<string> UnusedTensors)
{
    /// <summary>
    /// Counts parameters of the main model (layers below num_hidden_layers, embeddings, norm, head); routed experts
    /// count towards the activated total by num_experts_per_tok / n_routed_experts. Block scales are not parameters.
    /// </summary>
    public static ModelSummary Of(Transformer model)
    {
        var c = model.Config;
        var ck = model.Weights.Checkpoint;
        long total = 0, routed = 0, mtp = 0;
        var bytes = new Dictionary<DType, long>();
        foreach (var name in ck.TensorNames)
        {
            var t = ck.Info(name);
            bytes[t.DType] = bytes.GetValueOrDefault(t.DType) + t.ByteLength;
            if (name.EndsWith(HfNames.ScaleSuffix, StringComparison.Ordinal) || name.EndsWith("e_score_correction_bias", StringComparison.Ordinal)) continue;
            if (LayerOf(name) is int l && l >= c.NumHiddenLayers)
            {
                mtp += t.ElementCount;
                continue;
            }
            total += t.ElementCount;
            if (name.Contains(".mlp.experts.", StringComparison.Ordinal)) routed += t.ElementCount;
        }
        long activated = total - routed;
        if (c.NRoutedExperts > 0) activated += routed * c.NumExpertsPerTok / c.NRoutedExperts;
        int moe = Enumerable.Range(0, c.NumHiddenLayers).Count(c.IsMoeLayer);
        var unused = ck.TensorNames.Where(n => !model.Weights.Used.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        return new ModelSummary(total, activated, mtp, routed, bytes, c.NumHiddenLayers - moe, moe, unused);
    }

    private static int? LayerOf(string name)
    {
        const string p = "model.layers.";
        if (!name.StartsWith(p, StringComparison.Ordinal)) return null;
        int end = name.IndexOf('.', p.Length);
        return int.TryParse(name.AsSpan(p.Length, end - p.Length), out int l) ? l : null;
    }
}
