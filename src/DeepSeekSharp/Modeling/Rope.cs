namespace DeepSeekSharp.Modeling;

/// <summary>
/// Rotary embedding of the rope part of queries and keys, on interleaved pairs, with DeepSeek's YaRN:
/// frequencies blended between f and f/factor by the beta_fast/beta_slow ramp, and cos/sin multiplied by
/// mscale(factor, mscale) / mscale(factor, mscale_all_dim) (1 when the two are equal).
/// </summary>
public sealed class Rope
{
    private readonly float[] _invFreq; // (dim/2)
    private readonly float _attentionFactor;
    private readonly object _grow = new();
    private Table _table = new(Array.Empty<float>(), Array.Empty<float>(), 0);

    /// <summary>cos/sin rows (positions, dim/2), replaced as a whole when grown so concurrent readers stay safe.</summary>
    private sealed record Table(float[] Cos, float[] Sin, int Positions);

    public int Dim { get; }
    public int Half => Dim / 2;

    public Rope(ModelConfig c)
    {
        Dim = c.QkRopeHeadDim;
        _invFreq = InverseFrequencies(c, out _attentionFactor);
        EnsurePositions(Math.Min(c.MaxPositionEmbeddings, 4096));
    }

    public static float[] InverseFrequencies(ModelConfig c, out float attentionFactor)
    {
        int dim = c.QkRopeHeadDim;
        double theta = c.RopeTheta;
        var f = new float[dim / 2];
        for (int i = 0; i < f.Length; i++) f[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / dim));
        attentionFactor = 1f;
        if (c.RopeScaling is not { } y) return f;

        double CorrectionDim(double rotations) =>
            dim * Math.Log(y.OriginalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = Math.Max(Math.Floor(CorrectionDim(y.BetaFast)), 0);
        double high = Math.Min(Math.Ceiling(CorrectionDim(y.BetaSlow)), dim - 1);
        if (low == high) high += 0.001;
        for (int i = 0; i < f.Length; i++)
        {
            double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            double extrapolation = 1 - ramp; // weight of the original frequency
            double freqExtra = f[i];
            double freqInter = f[i] / y.Factor;
            f[i] = (float)(freqInter * (1 - extrapolation) + freqExtra * extrapolation);
        }
        attentionFactor = (float)(MScale(y.Factor, y.Mscale) / MScale(y.Factor, y.MscaleAllDim));
        return f;
    }

    public static double MScale(double factor, double mscale) => factor <= 1 ? 1.0 : 0.1 * mscale * Math.Log(factor) + 1.0;

    /// <summary>Grows the cos/sin table so positions [0, n) are available.</summary>
    public void EnsurePositions(int n)
    {
        if (n <= _table.Positions) return;
        lock (_grow)
        {
            if (n > _table.Positions) _table = Build(n);
        }
    }

    private Table Build(int n)
    {
        int half = Half;
        var cos = new float[n * half];
        var sin = new float[n * half];
        for (int p = 0; p < n; p++)
        {
            for (int i = 0; i < half; i++)
            {
                float angle = p * _invFreq[i]; // F32 product, as the references compute t * inv_freq
                cos[p * half + i] = MathF.Cos(angle) * _attentionFactor;
                sin[p * half + i] = MathF.Sin(angle) * _attentionFactor;
            }
        }
        return new Table(cos, sin, n);
    }

    /// <summary>cos (dim/2) of position pos (grows the table when needed).</summary>
    public ReadOnlySpan<float> Cos(int pos)
    {
        EnsurePositions(pos + 1);
        return _table.Cos.AsSpan(pos * Half, Half);
    }

    /// <summary>sin (dim/2) of position pos (grows the table when needed).</summary>
    public ReadOnlySpan<float> Sin(int pos)
    {
        EnsurePositions(pos + 1);
        return _table.Sin.AsSpan(pos * Half, Half);
    }

    /// <summary>Rotates x (length Dim) in place for position pos.</summary>
    public void Apply(Span<float> x, int pos)
    {
        var t = _table;
        if (pos >= t.Positions)
        {
            EnsurePositions(Math.Max(pos + 1, t.Positions * 2));
            t = _table;
        }
        Numerics.Ops.RopeInterleaved(x, t.Cos.AsSpan(pos * Half, Half), t.Sin.AsSpan(pos * Half, Half));
    }
}
