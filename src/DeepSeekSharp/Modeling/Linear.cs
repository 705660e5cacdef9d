using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>y = x @ W^T with W (out_features, in_features) kept in its stored dtype.</summary>
public sealed class Linear
{
    public WeightView Weight { get; }
    public int InFeatures => Weight.Cols;
    public int OutFeatures => Weight.Rows;

    public Linear(WeightView weight) => Weight = weight;

    public static Linear Load(ModelWeights w, string name, int outFeatures, int inFeatures) =>
        new(w.Matrix(name, outFeatures, inFeatures));

    /// <summary>x: (T, in), y: (T, out).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int T) => MatMul.Forward(Weight, x, y, T);

    public float[] Forward(ReadOnlySpan<float> x, int T)
    {
        var y = new float[T * OutFeatures];
        Forward(x, y, T);
        return y;
    }
}
