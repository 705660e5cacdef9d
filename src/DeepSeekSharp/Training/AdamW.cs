namespace DeepSeekSharp.Training;

/// <summary>
/// AdamW with bias correction and decoupled weight decay on matrices only (norm weights and biases are not
/// decayed); non-trainable tensors are skipped. Element-wise in a fixed order: deterministic.
/// </summary>
public sealed class AdamW
{
    private readonly ParameterSet _p;

    public float[] M { get; }  // (Count) first moment
    public float[] V { get; }  // (Count) second moment
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Eps { get; init; } = 1e-8;
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Store the moments in BF16 (rounded to nearest even after each update), as DeepSeek-V3's FP8 recipe.</summary>
    public bool Bf16Moments { get; init; }

    public AdamW(ParameterSet p)
    {
        _p = p;
        M = new float[p.Count];
        V = new float[p.Count];
    }

    /// <summary>One update at 1-based step t with learning rate lr, gradients multiplied by gradScale (clipping).</summary>
    public void Update(int t, double lr, float gradScale)
    {
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = (float)Eps;
        float c1 = (float)(1 - Math.Pow(Beta1, t)), c2 = (float)(1 - Math.Pow(Beta2, t));
        float flr = (float)lr;
        var w = _p.Data; var g = _p.Grad;
        foreach (var tensor in _p.Tensors)
        {
            if (!tensor.Trainable) continue;
            float decay = tensor.IsMatrix ? (float)(1 - lr * WeightDecay) : 1f;
            int start = (int)tensor.Offset, end = start + tensor.Length;
            for (int i = start; i < end; i++)
            {
                float gi = g[i] * gradScale;
                float m = b1 * M[i] + (1 - b1) * gi;
                float v = b2 * V[i] + (1 - b2) * gi * gi;
                if (Bf16Moments) (m, v) = (Numerics.BFloat16.Round(m), Numerics.BFloat16.Round(v));
                (M[i], V[i]) = (m, v);
                float mhat = m / c1, vhat = v / c2;
                w[i] = w[i] * decay - flr * mhat / (MathF.Sqrt(vhat) + eps);
            }
        }
    }

    /// <summary>Global L2 norm of the trainable gradients (double accumulation in a fixed order).</summary>
    public static double GradNorm(ParameterSet p)
    {
        double ss = 0;
        foreach (var t in p.Tensors)
        {
            if (!t.Trainable) continue;
            foreach (var v in p.Gradient(t.Name)) ss += (double)v * v;
        }
        return Math.Sqrt(ss);
    }
}
