using DeepSeekSharp.Checkpoints;
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
        Forward(tokens, x);
        return x;
    }

    /// <summary>tokens: (T) -> x (T, dim).</summary>
    public unsafe void Forward(ReadOnlySpan<int> tokens, Span<float> x)
    {
        int D = Dim;
        for (int t = 0; t < tokens.Length; t++)
        {
            int id = tokens[t];
            if ((uint)id >= (uint)Vocab) throw new DssException($"token id {id} is outside the vocabulary (0..{Vocab - 1})");
            var dst = x.Slice(t * D, D);
            var w = Weight;
            switch (w.DType)
            {
                case DType.BF16: BFloat16.ToSingle(new ReadOnlySpan<ushort>((ushort*)w.Data + (long)id * D, D), dst); break;
                case DType.F32: new ReadOnlySpan<float>((float*)w.Data + (long)id * D, D).CopyTo(dst); break;
                default: w.ReadRow(id, dst); break;
            }
        }
    }
}
