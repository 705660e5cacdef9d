namespace DeepSeekSharp.Modeling;

/// <summary>SwiGLU MLP (model.py's MLP and Expert): w2(silu(w1(x)) * w3(x)).</summary>
public sealed class Mlp
{
    public Linear W1 { get; }
    public Linear W2 { get; }
    public Linear W3 { get; }
    public int Inter => W1.OutFeatures;

    public Mlp(ModelWeights w, string prefix, int dim, int inter)
    {
        W1 = Linear.Load(w, HfNames.W1(prefix), inter, dim);
        W2 = Linear.Load(w, HfNames.W2(prefix), dim, inter);
        W3 = Linear.Load(w, HfNames.W3(prefix), inter, dim);
    }

    /// <summary>x: (T, dim) -> (T, dim).</summary>
    public float[] Forward(ReadOnlySpan<float> x, int T)
    {
        int dim = W1.InFeatures;
        using var xb = new PooledBuffer<float>(T * dim);
        x[..(T * dim)].CopyTo(xb.Span);
        var y = new float[T * dim];
        Forward(xb.Array, y, T);
        return y;
    }

    /// <summary>x (T, dim) at the start of the array, y (T, dim): gate/up fused with SiLU x mul, in parallel over weight chunks.</summary>
    internal void Forward(float[] x, float[] y, int T)
    {
        using var h = new PooledBuffer<float>(T * Inter); // (T, inter)
        Span<SwiGluGroup> g = [new SwiGluGroup { Mlp = this, X = x, N = T, H = h.Array, Y = y }];
        SwiGluGroups.Run(g);
    }
}
