namespace DeepSeekSharp.Numerics;

/// <summary>y = x @ W^T for a weight in its stored dtype. x: (T, Cols), y: (T, Rows).</summary>
public static class MatMul
{
    public static void Forward(in WeightView w, ReadOnlySpan<float> x, Span<float> y, int T)
    {
        if (x.Length < T * w.Cols || y.Length < T * w.Rows)
            throw new ArgumentException($"MatMul: x has {x.Length} values for (T={T}, {w.Cols}), y has {y.Length} for ({T}, {w.Rows})");
        MatMulScalar.Forward(w, x, y, T);
    }
}
