using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Training;

/// <summary>
/// Expert choice of the MoE gate for training, identical to <see cref="Gate.Route"/>: the correction bias only
/// chooses; with groups, experts outside the topk_group best groups are excluded (group score = sum of the top-2
/// biased scores for noaux_tc, the max for group_limited_greedy); weights are the unbiased scores, normalised over
/// the chosen experts when norm_topk_prob, times routed_scaling_factor.
/// </summary>
public sealed class Router
{
    private readonly ModelConfig _c;
    private readonly float[] _biased;  // (E)
    private readonly float[] _groupScore; // (n_group)
    private readonly int[] _keepGroups;   // (topk_group)

    public Router(ModelConfig c)
    {
        _c = c;
        _biased = new float[c.NRoutedExperts];
        _groupScore = new float[Math.Max(1, c.NGroup)];
        _keepGroups = new int[Math.Max(1, c.TopkGroup)];
    }

    /// <summary>Scores (E) of one token, bias (E) or empty; fills idx (k), raw (k) chosen unbiased scores, wts (k); returns the normaliser.</summary>
    public float Route(ReadOnlySpan<float> scores, ReadOnlySpan<float> bias, Span<int> idx, Span<float> raw, Span<float> wts)
    {
        int E = _c.NRoutedExperts, k = idx.Length;
        var biased = _biased.AsSpan();
        for (int e = 0; e < E; e++) biased[e] = bias.IsEmpty ? scores[e] : scores[e] + bias[e];
        if (_c.NGroup > 1 && _c.TopkMethod != TopkMethod.Greedy)
        {
            int G = _c.NGroup, per = E / G;
            for (int g = 0; g < G; g++)
            {
                var grp = biased.Slice(g * per, per);
                if (_c.TopkMethod == TopkMethod.NoauxTc)
                {
                    float a = float.NegativeInfinity, b = float.NegativeInfinity;
                    foreach (var v in grp)
                    {
                        if (v > a) { b = a; a = v; }
                        else if (v > b) b = v;
                    }
                    _groupScore[g] = per >= 2 ? a + b : a;
                }
                else
                {
                    float m = float.NegativeInfinity;
                    foreach (var v in grp) if (v > m) m = v;
                    _groupScore[g] = m;
                }
            }
            var keep = _keepGroups.AsSpan(0, _c.TopkGroup);
            Gate.TopKIndices(_groupScore.AsSpan(0, G), keep);
            for (int g = 0; g < G; g++)
                if (!keep.Contains(g)) biased.Slice(g * per, per).Fill(float.NegativeInfinity);
        }
        Gate.TopKIndices(biased, idx);
        float sum = 0;
        for (int i = 0; i < k; i++)
        {
            raw[i] = scores[idx[i]];
            sum += raw[i];
        }
        float scale = (float)_c.RoutedScalingFactor;
        float denom = sum + 1e-20f;
        for (int i = 0; i < k; i++) wts[i] = _c.NormTopkProb ? raw[i] / denom * scale : raw[i] * scale;
        return denom;
    }
}
