using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// DeepSeekMoE (model.py's MoE): routed experts chosen by the gate, weighted by their gate weights, plus shared
/// experts added unweighted. The tokens routed to each expert are gathered and every active expert runs as one
/// batch (GEMV for decode, GEMM for prefill); all experts and the shared experts (one dense MLP of
/// n_shared_experts x moe_intermediate_size) run together in two parallel phases (<see cref="SwiGluGroups"/>).
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
        int dim = _c.HiddenSize;
        using var xb = new PooledBuffer<float>(T * dim);
        x[..(T * dim)].CopyTo(xb.Span);
        var y = new float[T * dim];
        Forward(xb.Array, T, y, topkIdx, topkWeight);
        return y;
    }

    /// <summary>x (T, dim) at the start of the array -> y (T, dim). topkIdx/topkWeight (T, top_k) receive the routing when given.</summary>
    internal void Forward(float[] x, int T, Span<float> y, int[]? topkIdx = null, float[]? topkWeight = null)
    {
        int dim = _c.HiddenSize, k = _c.NumExpertsPerTok, E = _c.NRoutedExperts, inter = _c.MoeIntermediateSize;
        using var idxB = new PooledBuffer<int>(T * k);    // (T, k) expert of each slot
        using var wtsB = new PooledBuffer<float>(T * k);  // (T, k) gate weight of each slot
        var idx = topkIdx is null ? idxB.Span : topkIdx.AsSpan(0, T * k);
        var wts = topkWeight is null ? wtsB.Span : topkWeight.AsSpan(0, T * k);
        Gate.Forward(x.AsSpan(0, T * dim), T, idx, wts);

        // Group (token, slot) pairs by expert: order holds slot positions, expert e's at [counts[e], counts[e+1]).
        using var countsB = new PooledBuffer<int>(E + 1);
        using var fillB = new PooledBuffer<int>(E);
        using var orderB = new PooledBuffer<int>(T * k);
        var counts = countsB.Span;
        var fill = fillB.Span;
        var order = orderB.Span;
        counts.Clear();
        foreach (var e in idx) counts[e + 1]++;
        for (int e = 0; e < E; e++) counts[e + 1] += counts[e];
        counts[..E].CopyTo(fill);
        for (int i = 0; i < idx.Length; i++) order[fill[idx[i]]++] = i;

        using var xg = new PooledBuffer<float>(T * k * dim);   // (T k, dim) tokens gathered per expert
        using var hg = new PooledBuffer<float>(T * k * inter); // (T k, inter)
        using var yg = new PooledBuffer<float>(T * k * dim);   // (T k, dim) expert outputs
        int shInter = SharedExperts?.Inter ?? 0;
        using var hs = new PooledBuffer<float>(T * shInter);   // (T, n_shared x inter)
        using var ys = new PooledBuffer<float>(T * dim);       // (T, dim) shared experts' output
        for (int j = 0; j < T * k; j++) x.AsSpan(order[j] / k * dim, dim).CopyTo(xg.Array.AsSpan(j * dim, dim));

        using var groupsB = new PooledBuffer<SwiGluGroup>(E + 1);
        int n = 0;
        var groups = groupsB.Span;
        if (SharedExperts is not null)
            groups[n++] = new SwiGluGroup { Mlp = SharedExperts, X = x, N = T, H = hs.Array, Y = ys.Array };
        for (int e = 0; e < E; e++)
        {
            int c = counts[e], ne = counts[e + 1] - c;
            if (ne == 0) continue;
            groups[n++] = new SwiGluGroup { Mlp = Experts[e], X = xg.Array, XOff = c * dim, N = ne, H = hg.Array, HOff = c * inter, Y = yg.Array, YOff = c * dim };
        }
        try
        {
            SwiGluGroups.Run(groups[..n]);
        }
        finally
        {
            groups[..n].Clear();
        }

        if (SharedExperts is null) y[..(T * dim)].Clear();
        else ys.Span.CopyTo(y);
        for (int j = 0; j < T * k; j++)
        {
            int slot = order[j];
            Ops.Axpy(wts[slot], yg.Array.AsSpan(j * dim, dim), y.Slice(slot / k * dim, dim));
        }
    }
}
