namespace DeepSeekSharp.Numerics;

/// <summary>The plain reference twins of <see cref="Ops"/> (the element-wise and row operations of the forward pass).</summary>
public static class OpsScalar
{
    /// <summary>Twin of <see cref="Ops.ArgMax"/>: the largest value's first index, the first NaN's, -1 when empty.</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = -1;
        for (int i = 0; i < x.Length; i++)
        {
            if (float.IsNaN(x[i])) return i;
            if (best < 0 || x[i] > x[best]) best = i;
        }
        return best;
    }

    /// <summary>RMSNorm: y = w * x / sqrt(mean(x^2) + eps), row by row. x, y: (T, n); w: (n).</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int n, float eps)
    {
        int T = x.Length / n;
        for (int t = 0; t < T; t++)
        {
            var xr = x.Slice(t * n, n);
            var yr = y.Slice(t * n, n);
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
            float inv = (float)(1.0 / Math.Sqrt(ss / n + eps));
            for (int i = 0; i < n; i++) yr[i] = w[i] * (xr[i] * inv);
        }
    }

    /// <summary>In-place softmax over x (max-subtracted).</summary>
    public static void Softmax(Span<float> x)
    {
        float max = float.NegativeInfinity;
        foreach (var v in x) if (v > max) max = v;
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (int i = 0; i < x.Length; i++) x[i] *= inv;
    }

    /// <summary>out[i] = silu(gate[i]) * up[i].</summary>
    public static void SiluMul(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        for (int i = 0; i < output.Length; i++)
        {
            float g = gate[i];
            output[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>
    /// RoPE on interleaved pairs (x0,x1),(x2,x3)...: x[2i], x[2i+1] rotated by angle pos * freqs[i].
    /// cos/sin: precomputed rows of length n/2 for this position.
    /// </summary>
    public static void RopeInterleaved(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        for (int i = 0; i < cos.Length; i++)
        {
            float a = x[2 * i], b = x[2 * i + 1];
            x[2 * i] = a * cos[i] - b * sin[i];
            x[2 * i + 1] = a * sin[i] + b * cos[i];
        }
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y += alpha * x.</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += alpha * x[i];
    }
}
