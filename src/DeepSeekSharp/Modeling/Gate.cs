using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// The MoE router (model.py's Gate). Scores = softmax or sigmoid of x @ W^T in F32; the correction bias is added only
/// to choose experts; with groups, experts outside the topk_group best groups are excluded (group score = max for
/// group_limited_greedy, sum of the top-2 biased scores for noaux_tc); the gate weight is the unbiased score,
/// normalised over the chosen experts when norm_topk_prob, times routed_scaling_factor.
/// </summary>
public sealed class Gate
{
    private readonly ModelConfig _c;

    public WeightView Weight { get; }     // (n_routed_experts, dim)
    public float[]? Bias { get; }         // (n_routed_experts), e_score_correction_bias

    public int TopK => _c.NumExpertsPerTok;

    public Gate(ModelWeights w, int layer)
    {
        _c = w.Config;
        Weight = w.Matrix(HfNames.GateWeight(layer), _c.NRoutedExperts, _c.HiddenSize);
        if (_c.TopkMethod == TopkMethod.NoauxTc)
        {
            if (!w.Has(HfNames.GateBias(layer)))
                throw new DssException($"topk_method noaux_tc needs '{HfNames.GateBias(layer)}', which the checkpoint lacks");
            Bias = w.Vector(HfNames.GateBias(layer), _c.NRoutedExperts);
        }
    }

    /// <summary>
    /// x: (T, dim). Fills indices and weights (T, top_k), in descending order of the biased score.
    /// scores (T, n_routed_experts) receives the unbiased scores when given (for tests and training).
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, int T, Span<int> indices, Span<float> weights, Span<float> scoresOut = default)
    {
        int E = _c.NRoutedExperts, k = TopK;
        using var logitsB = new PooledBuffer<float>(T * E); // (T, E)
        using var scoresB = new PooledBuffer<float>(E);     // (E) one token's scores
        using var biasedB = new PooledBuffer<float>(E);     // (E) one token's biased scores
        var logits = logitsB.Span;
        var scores = scoresB.Span;
        var biased = biasedB.Span;
        // The router is small (E x dim): for decode and small batches a parallel region costs more than it saves.
        MatMul.Forward(Weight, x, logits, T, Simd.Best, MatMulPath.Auto, T <= SerialTokens ? null : WorkerPool.Shared);
        for (int t = 0; t < T; t++)
        {
            logits.Slice(t * E, E).CopyTo(scores);
            if (_c.ScoringFunc == ScoringFunc.Softmax) Ops.Softmax(scores);
            else for (int e = 0; e < E; e++) scores[e] = 1f / (1f + MathF.Exp(-scores[e]));
            if (!scoresOut.IsEmpty) scores.CopyTo(scoresOut.Slice(t * E, E));
            Route(scores, biased, indices.Slice(t * k, k), weights.Slice(t * k, k));
        }
    }

    /// <summary>Up to this many tokens the router's product runs on the calling thread.</summary>
    private const int SerialTokens = 16;

    /// <summary>Chooses experts for one token from its (unbiased) scores (see <see cref="ExpertRouting"/>).</summary>
    public void Route(ReadOnlySpan<float> scores, Span<float> biased, Span<int> idx, Span<float> wts)
    {
        ExpertRouting.Choose(_c, scores, Bias, biased, idx);
        Span<float> raw = stackalloc float[idx.Length];
        ExpertRouting.Weigh(_c, scores, idx, raw, wts);
    }

    /// <summary>Indices of the idx.Length largest values, descending (ties: lower index first).</summary>
    public static void TopKIndices(ReadOnlySpan<float> v, Span<int> idx)
    {
        int k = idx.Length, n = 0;
        for (int i = 0; i < v.Length; i++)
        {
            float x = v[i];
            if (n == k && !(x > v[idx[k - 1]])) continue;
            int j = n < k ? n++ : k - 1;
            while (j > 0 && x > v[idx[j - 1]])
            {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = i;
        }
    }
}
