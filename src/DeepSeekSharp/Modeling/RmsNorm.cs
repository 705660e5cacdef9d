using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>RMSNorm: w * x / sqrt(mean(x^2) + eps) over the last dimension.</summary>
public sealed class RmsNorm
{
    public float[] Weight { get; }
    public float Eps { get; }
    public int Dim => Weight.Length;

    public RmsNorm(float[] weight, double eps)
    {
        Weight = weight;
        Eps = (float)eps;
    }

    public static RmsNorm Load(ModelWeights w, string name, int dim) => new(w.Vector(name, dim), w.Config.RmsNormEps);

    /// <summary>x, y: (T, Dim); y may alias x.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y) => Ops.RmsNorm(x, Weight, y, Dim, Eps);

    public float[] Forward(ReadOnlySpan<float> x)
    {
        var y = new float[x.Length];
        Forward(x, y);
        return y;
    }
}
