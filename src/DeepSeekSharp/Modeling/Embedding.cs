using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>Token embedding table (vocab, dim) in its stored dtype; rows are widened to F32 on lookup.</summary>
public sealed class Embedding
{
    public WeightView Weight { get; }
    public int Vocab => Weight.Rows;
    public int Dim => Weight.Cols;

    public Embedding(WeightView weight) => Weight = weight;

    /// <summary>tokens: (T) -> (T, dim).</summary>
    public float[] Forward(ReadOnlySpan<int> tokens)
    {
        var x = new float[tokens.Length * Dim];
        for (int t = 0; t < tokens.Length; t++)
        {
            int id = tokens[t];
            if ((uint)id >= (uint)Vocab) throw new DssException($"token id {id} is outside the vocabulary (0..{Vocab - 1})");
            Weight.ReadRow(id, x.AsSpan(t * Dim, Dim));
        }
        return x;
    }
}
