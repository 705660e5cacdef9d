using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// DeepSeekMoE (model.py's MoE): routed experts chosen by the gate, weighted by their gate weights, plus shared
/// experts added unweighted. Tokens routed to each expert are gathered and run as one batch per active expert.
/// </summary>
public sealed class Moe
{
    private readonly ModelConfig _c;

    public Gate Gate { get; }
    public Mlp[] Experts { get; }
    public Mlp? SharedExperts { get; }

    public Moe(ModelWeights w, int layer)
    {
        _c = w.Config;
        Gate = new Gate(w, layer);
        Experts = new Mlp[_c.NRoutedExperts];
        for (int e = 0; e < Experts.Length; e++)
            Experts[e] = new Mlp(w, HfNames.Expert(layer, e), _c.HiddenSize, _c.MoeIntermediateSize);
        if (_c.NSharedExperts > 0)
            SharedExperts = new Mlp(w, HfNames.SharedExperts(layer), _c.HiddenSize, _c.MoeIntermediateSize * _c.NSharedExperts);
    }

    /// <summary>x: (T, dim) -> (T, dim). When given, topkIdx/topkWeight (T, top_k) receive the routing.</summary>
    public float[] Forward(ReadOnlySpan<float> x, int T, int[]? topkIdx = null, float[]? topkWeight = null)
    {
        int dim = _c.HiddenSize, k = _c.NumExpertsPerTok, E = _c.NRoutedExperts;
        var idx = topkIdx ?? new int[T * k];
        var wts = topkWeight ?? new float[T * k];
        Gate.Forward(x, T, idx, wts);

        var y = SharedExperts is null ? new float[T * dim] : SharedExperts.Forward(x, T);

        // Group (token, slot) pairs by expert.
        var counts = new int[E + 1];
        foreach (var e in idx) counts[e + 1]++;
        for (int e = 0; e < E; e++) counts[e + 1] += counts[e];
        var order = new int[T * k]; // positions in idx, grouped by expert
        var fill = (int[])counts.Clone();
        for (int i = 0; i < idx.Length; i++) order[fill[idx[i]]++] = i;

        for (int e = 0; e < E; e++)
        {
            int n = counts[e + 1] - counts[e];
            if (n == 0) continue;
            var xe = new float[n * dim]; // (n, dim) gathered tokens
            for (int j = 0; j < n; j++)
                x.Slice(order[counts[e] + j] / k * dim, dim).CopyTo(xe.AsSpan(j * dim, dim));
            var ye = Experts[e].Forward(xe, n);
            for (int j = 0; j < n; j++)
            {
                int slot = order[counts[e] + j];
                Ops.Axpy(wts[slot], ye.AsSpan(j * dim, dim), y.AsSpan(slot / k * dim, dim));
            }
        }
        return y;
    }
}
