using System.Runtime.Intrinsics;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Training;

/// <summary>Row operations of training with their backward passes (RMSNorm, RoPE, SwiGLU, cross-entropy).</summary>
public static class TrainOps
{
    /// <summary>y = w * x * rstd row by row; x, y: (T, n); rstd: (T) receives 1/sqrt(mean(x^2) + eps).</summary>
    public static void RmsNormForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, Span<float> rstd, int T, int n, float eps)
    {
        for (int t = 0; t < T; t++)
        {
            var xr = x.Slice(t * n, n);
            var yr = y.Slice(t * n, n);
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
            float inv = (float)(1.0 / Math.Sqrt(ss / n + eps));
            rstd[t] = inv;
            for (int i = 0; i < n; i++) yr[i] = w[i] * (xr[i] * inv);
        }
    }

    /// <summary>
    /// Backward of RMSNorm: dw += sum_t dy * x * rstd; dx += rstd * (w * dy) - x * rstd^3 / n * sum(w * dy * x).
    /// </summary>
    public static void RmsNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> rstd,
        Span<float> dx, Span<float> dw, int T, int n)
    {
        for (int t = 0; t < T; t++)
        {
            var dyr = dy.Slice(t * n, n);
            var xr = x.Slice(t * n, n);
            var dxr = dx.Slice(t * n, n);
            float r = rstd[t];
            double dot = 0;
            for (int i = 0; i < n; i++)
            {
                dot += (double)w[i] * dyr[i] * xr[i];
                dw[i] += dyr[i] * xr[i] * r;
            }
            float c = (float)(dot * r * r * r / n);
            for (int i = 0; i < n; i++) dxr[i] += r * w[i] * dyr[i] - c * xr[i];
        }
    }

    /// <summary>Rotates the interleaved pairs of x (length rope.Dim) for position pos (forward).</summary>
    public static void RopeForward(Rope rope, Span<float> x, int pos) => rope.Apply(x, pos);

    /// <summary>Backward of the rotation: the gradient is rotated by the transposed matrix (in place).</summary>
    public static void RopeBackward(Rope rope, Span<float> dx, int pos)
    {
        rope.EnsurePositions(pos + 1);
        var cos = rope.Cos(pos);
        var sin = rope.Sin(pos);
        for (int i = 0; i < cos.Length; i++)
        {
            float a = dx[2 * i], b = dx[2 * i + 1];
            dx[2 * i] = a * cos[i] + b * sin[i];
            dx[2 * i + 1] = -a * sin[i] + b * cos[i];
        }
    }

    /// <summary>h = silu(g) * u.</summary>
    public static void SwiGluForward(ReadOnlySpan<float> g, ReadOnlySpan<float> u, Span<float> h)
    {
        for (int i = 0; i < h.Length; i++)
        {
            float x = g[i];
            h[i] = x / (1f + MathF.Exp(-x)) * u[i];
        }
    }

    /// <summary>dg = dh * u * silu'(g), du = dh * silu(g) (overwritten).</summary>
    public static void SwiGluBackward(ReadOnlySpan<float> dh, ReadOnlySpan<float> g, ReadOnlySpan<float> u, Span<float> dg, Span<float> du)
    {
        for (int i = 0; i < dh.Length; i++)
        {
            float x = g[i];
            float s = 1f / (1f + MathF.Exp(-x));
            float silu = x * s;
            du[i] = dh[i] * silu;
            dg[i] = dh[i] * u[i] * (s * (1f + x * (1f - s)));
        }
    }

    /// <summary>
    /// Cross-entropy of logits rows against targets (a negative target skips the row). Returns the summed loss;
    /// overwrites each used row of logits with d(scale * loss)/d(logits) = scale * (softmax - onehot) and zeroes skipped rows.
    /// </summary>
    public static double CrossEntropyBackward(Span<float> logits, ReadOnlySpan<int> targets, int V, float scale)
    {
        double total = 0;
        for (int t = 0; t < targets.Length; t++)
        {
            var row = logits.Slice(t * V, V);
            int y = targets[t];
            if (y < 0)
            {
                row.Clear();
                continue;
            }
            if (y >= V) throw new DssException($"target token {y} is outside the vocabulary (0..{V - 1})");
            float logitY = row[y];
            float max = MaxOf(row);
            double sum = ExpShifted(row, max);
            double logZ = Math.Log(sum) + max;
            total += logZ - logitY;
            float inv = (float)(scale / sum);
            for (int i = 0; i < V; i++) row[i] *= inv;
            row[y] -= scale;
        }
        return total;
    }

    private static float MaxOf(ReadOnlySpan<float> row)
    {
        int n16 = row.Length & ~15;
        var m = Vector512.Create(float.NegativeInfinity);
        for (int i = 0; i < n16; i += 16) m = Vector512.Max(m, Vector512.Create(row.Slice(i, 16)));
        float max = float.NegativeInfinity;
        for (int i = 0; i < 16; i++) max = Math.Max(max, m[i]);
        for (int i = n16; i < row.Length; i++) max = Math.Max(max, row[i]);
        return max;
    }

    /// <summary>row[i] = exp(row[i] - max) in place (Vector512 exp in blocks of 16); returns the sum in double, per block in order.</summary>
    private static double ExpShifted(Span<float> row, float max)
    {
        int n16 = row.Length & ~15;
        var vmax = Vector512.Create(max);
        double sum = 0;
        for (int i = 0; i < n16; i += 16)
        {
            var e = Vector512.Exp(Vector512.Create((ReadOnlySpan<float>)row.Slice(i, 16)) - vmax);
            e.CopyTo(row.Slice(i, 16));
            sum += Vector512.Sum(e);
        }
        for (int i = n16; i < row.Length; i++)
        {
            float e = MathF.Exp(row[i] - max);
            row[i] = e;
            sum += e;
        }
        return sum;
    }

    private static double SumExpShifted(ReadOnlySpan<float> row, float max)
    {
        int n16 = row.Length & ~15;
        var vmax = Vector512.Create(max);
        double sum = 0;
        for (int i = 0; i < n16; i += 16) sum += Vector512.Sum(Vector512.Exp(Vector512.Create(row.Slice(i, 16)) - vmax));
        for (int i = n16; i < row.Length; i++) sum += MathF.Exp(row[i] - max);
        return sum;
    }

    /// <summary>Summed cross-entropy without gradients (validation).</summary>
    public static double CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int V)
    {
        double total = 0;
        for (int t = 0; t < targets.Length; t++)
        {
            int y = targets[t];
            if (y < 0) continue;
            var row = logits.Slice(t * V, V);
            float logitY = row[y];
            float max = MaxOf(row);
            double sum = SumExpShifted(row, max);
            total += Math.Log(sum) + max - logitY;
        }
        return total;
    }
}
