namespace DeepSeekSharp.Modeling;

/// <summary>
/// The routing rule of DeepSeekMoE's gate, shared by inference (<see cref="Gate"/>) and training: the correction bias
/// is added only to choose experts; with groups, experts outside the topk_group best groups are excluded (group score
/// = sum of the top-2 biased scores for noaux_tc, the max for group_limited_greedy); the gate weight is the unbiased
/// score, normalised over the chosen experts when norm_topk_prob, times routed_scaling_factor.
/// </summary>
public static class ExpertRouting
{
    /// <summary>
    /// Chooses idx.Length experts for one token from its scores (E) and bias (E, or empty), in descending order of
    /// the biased score. biased (E) is scratch.
    /// </summary>
    public static void Choose(ModelConfig c, ReadOnlySpan<float> scores, ReadOnlySpan<float> bias, Span<float> biased, Span<int> idx)
    {
        int E = c.NRoutedExperts;
        for (int e = 0; e < E; e++) biased[e] = bias.IsEmpty ? scores[e] : scores[e] + bias[e];
        if (c.NGroup > 1 && c.TopkMethod != TopkMethod.Greedy)
        {
            int G = c.NGroup, per = E / G;
            Span<float> groupScore = stackalloc float[G];
            for (int g = 0; g < G; g++)
            {
                var grp = biased.Slice(g * per, per);
                float a = float.NegativeInfinity, b = float.NegativeInfinity; // the two largest
                foreach (var v in grp)
                {
                    if (v > a) { b = a; a = v; }
                    else if (v > b) b = v;
                }
                groupScore[g] = c.TopkMethod == TopkMethod.NoauxTc && per >= 2 ? a + b : a;
            }
            Span<int> keepGroups = stackalloc int[c.TopkGroup];
            Gate.TopKIndices(groupScore, keepGroups);
            for (int g = 0; g < G; g++)
                if (!keepGroups.Contains(g)) biased.Slice(g * per, per).Fill(float.NegativeInfinity);
        }
        Gate.TopKIndices(biased[..E], idx);
    }

    /// <summary>raw (k) = the chosen experts' unbiased scores; wts (k) = the gate weights. Returns the normaliser (sum + 1e-20).</summary>
    public static float Weigh(ModelConfig c, ReadOnlySpan<float> scores, ReadOnlySpan<int> idx, Span<float> raw, Span<float> wts)
    {
        int k = idx.Length;
        float sum = 0;
        for (int i = 0; i < k; i++)
        {
            raw[i] = scores[idx[i]];
            sum += raw[i];
        }
        float scale = (float)c.RoutedScalingFactor;
        float denom = sum + 1e-20f;
        for (int i = 0; i < k; i++) wts[i] = c.NormTopkProb ? raw[i] / denom * scale : raw[i] * scale;
        return denom;
    }
}
