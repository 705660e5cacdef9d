using DeepSeekSharp.Numerics;

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
        var g = W1.Forward(x, T); // (T, inter)
        var u = W3.Forward(x, T); // (T, inter)
        Ops.SiluMul(g, u, g);
        return W2.Forward(g, T);
    }
}
