using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Training;

/// <summary>
/// DeepSeekMoE for training. Gradients reach the router through the gate weights (normalisation and
/// routed_scaling_factor included) and the sigmoid or softmax scores, never through the choice or the correction
/// bias. Optionally adds the sequence-wise balance loss alpha * sum_i f_i * P_i, f_i = E / (K * T) * count_i,
/// P_i = mean over the sequence of the scores normalised to sum 1 per token.
/// </summary>
public sealed class MoeTrain
{
    private readonly ParameterSet _p;
    private readonly ModelConfig _c;
    private readonly ParamTensor _gate;
    private readonly ParamTensor? _bias;
    private readonly Router _router;
    private readonly PrecisionPolicy _mm;
    private readonly int _dim, _E, _k;
    private int _T;
    private float _alpha;

    private float[]? _x;       // (T, dim)
    private float[]? _scores;  // (T, E) unbiased scores
    private int[]? _idx;       // (T, k) chosen experts
    private float[]? _raw;     // (T, k) their unbiased scores
    private float[]? _wts;     // (T, k) final gate weights
    private float[]? _denom;   // (T) normaliser of the chosen scores
    private float[]? _yslot;   // (T * k, dim) expert output per (token, slot)
    private int[]? _order;     // (T * k) slots grouped by expert
    private float[]? _xe, _ye, _dxe, _dscores, _dlogits;

    public MlpTrain[] Experts { get; }
    public MlpTrain? Shared { get; }
    /// <summary>Tokens routed to each expert in the last forward (E), and the routing start of each expert in Order (E + 1).</summary>
    public int[] Counts { get; }
    /// <summary>Tokens routed to each expert since the last <see cref="ResetLoad"/> (E): the load the bias update balances.</summary>
    public long[] Load { get; }
    private readonly int[] _starts;

    public int LayerId { get; }

    public MoeTrain(ParameterSet p, int layer, PrecisionPolicy? precision = null)
    {
        _p = p;
        _mm = precision ?? new PrecisionPolicy(p);
        LayerId = layer;
        _c = p.Config;
        _dim = _c.HiddenSize; _E = _c.NRoutedExperts; _k = _c.NumExpertsPerTok;
        _gate = p[HfNames.GateWeight(layer)];
        _bias = p.Contains(HfNames.GateBias(layer)) ? p[HfNames.GateBias(layer)] : null;
        _router = new Router(_c);
        Experts = new MlpTrain[_E];
        for (int e = 0; e < _E; e++) Experts[e] = new MlpTrain(p, HfNames.Expert(layer, e), _mm);
        if (_c.NSharedExperts > 0) Shared = new MlpTrain(p, HfNames.SharedExperts(layer), _mm);
        Counts = new int[_E];
        Load = new long[_E];
        _starts = new int[_E + 1];
    }

    public void ResetLoad() => Array.Clear(Load);

    public string BiasName => _bias?.Name ?? "";
    public bool HasBias => _bias is not null;

    /// <summary>x: (T, dim) -> y: (T, dim). Returns the balance loss (0 when alpha is 0).</summary>
    public double Forward(ReadOnlySpan<float> x, Span<float> y, int T, float alpha)
    {
        _T = T;
        _alpha = alpha;
        int D = _dim, E = _E, k = _k;
        var xs = Buffers.Ensure(ref _x, T * D);
        x[..(T * D)].CopyTo(xs);
        var scores = Buffers.Ensure(ref _scores, T * E);
        _mm.Forward(xs, _gate, scores, T);
        for (int t = 0; t < T; t++)
        {
            var s = scores.AsSpan(t * E, E);
            if (_c.ScoringFunc == ScoringFunc.Softmax) Softmax(s);
            else for (int e = 0; e < E; e++) s[e] = 1f / (1f + MathF.Exp(-s[e]));
        }
        var idx = Buffers.Ensure(ref _idx, T * k);
        var raw = Buffers.Ensure(ref _raw, T * k);
        var wts = Buffers.Ensure(ref _wts, T * k);
        var denom = Buffers.Ensure(ref _denom, T);
        ReadOnlySpan<float> bias = _bias is null ? default : _p.Data.AsSpan((int)_bias.Offset, _bias.Length);
        for (int t = 0; t < T; t++)
            denom[t] = _router.Route(scores.AsSpan(t * E, E), bias, idx.AsSpan(t * k, k), raw.AsSpan(t * k, k), wts.AsSpan(t * k, k));

        if (Shared is not null) Shared.Forward(xs, y, T);
        else y[..(T * D)].Clear();

        Array.Clear(Counts);
        for (int i = 0; i < T * k; i++) Counts[idx[i]]++;
        for (int e = 0; e < E; e++) Load[e] += Counts[e];
        _starts[0] = 0;
        for (int e = 0; e < E; e++) _starts[e + 1] = _starts[e] + Counts[e];
        var order = Buffers.Ensure(ref _order, T * k);
        var fill = (int[])_starts.Clone();
        for (int i = 0; i < T * k; i++) order[fill[idx[i]]++] = i;

        var yslot = Buffers.Ensure(ref _yslot, T * k * D);
        for (int e = 0; e < E; e++)
        {
            int n = Counts[e];
            if (n == 0) continue;
            var xe = Buffers.Ensure(ref _xe, n * D);
            var ye = Buffers.Ensure(ref _ye, n * D);
            for (int j = 0; j < n; j++) xs.AsSpan(order[_starts[e] + j] / k * D, D).CopyTo(xe.AsSpan(j * D, D));
            Experts[e].Forward(xe, ye, n);
            for (int j = 0; j < n; j++)
            {
                int slot = order[_starts[e] + j];
                ye.AsSpan(j * D, D).CopyTo(yslot.AsSpan(slot * D, D));
            }
        }
        // Sum in slot order per token so the result does not depend on how experts were batched.
        for (int t = 0; t < T; t++)
        {
            var yt = y.Slice(t * D, D);
            for (int j = 0; j < k; j++)
            {
                float w = wts[t * k + j];
                var ys = yslot.AsSpan((t * k + j) * D, D);
                for (int i = 0; i < D; i++) yt[i] += w * ys[i];
            }
        }
        return alpha == 0 ? 0 : BalanceLoss(alpha);
    }

    /// <summary>alpha * sum_i f_i * P_i for the last forward.</summary>
    private double BalanceLoss(float alpha)
    {
        int T = _T, E = _E;
        double loss = 0;
        var scores = _scores!;
        var P = new double[E];
        for (int t = 0; t < T; t++)
        {
            var s = scores.AsSpan(t * E, E);
            double sum = 0;
            foreach (var v in s) sum += v;
            for (int e = 0; e < E; e++) P[e] += s[e] / sum / T;
        }
        for (int e = 0; e < E; e++) loss += (double)E / (_k * T) * Counts[e] * P[e];
        return alpha * loss;
    }

    /// <summary>dy: (T, dim); accumulates into dx (T, dim) and the weight gradients (experts, shared, router).</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int T = _T, D = _dim, E = _E, k = _k;
        Shared?.Backward(dy, dx);
        var idx = _idx!; var wts = _wts!; var raw = _raw!; var yslot = _yslot!; var order = _order!; var scores = _scores!;
        var dscores = Buffers.Ensure(ref _dscores, T * E, clear: true);
        var dw = new float[k];
        for (int t = 0; t < T; t++)
        {
            var dyt = dy.Slice(t * D, D);
            for (int j = 0; j < k; j++)
            {
                var ys = yslot.AsSpan((t * k + j) * D, D);
                float s = 0;
                for (int i = 0; i < D; i++) s += dyt[i] * ys[i];
                dw[j] = s;
            }
            // w_j = raw_j / denom * scale (normalised) or raw_j * scale
            float scale = (float)_c.RoutedScalingFactor;
            var ds = dscores.AsSpan(t * E, E);
            if (_c.NormTopkProb)
            {
                float den = _denom![t];
                float dot = 0;
                for (int j = 0; j < k; j++) dot += dw[j] * raw[t * k + j];
                for (int j = 0; j < k; j++) ds[idx[t * k + j]] += scale * (dw[j] / den - dot / (den * den));
            }
            else
            {
                for (int j = 0; j < k; j++) ds[idx[t * k + j]] += scale * dw[j];
            }
        }
        for (int e = 0; e < E; e++)
        {
            int n = Counts[e];
            if (n == 0) continue;
            var dye = Buffers.Ensure(ref _ye, n * D);
            var dxe = Buffers.Ensure(ref _dxe, n * D, clear: true);
            for (int j = 0; j < n; j++)
            {
                int slot = order[_starts[e] + j];
                float w = wts[slot];
                var src = dy.Slice(slot / k * D, D);
                var dst = dye.AsSpan(j * D, D);
                for (int i = 0; i < D; i++) dst[i] = w * src[i];
            }
            Experts[e].Backward(dye, dxe);
            for (int j = 0; j < n; j++)
            {
                var src = dxe.AsSpan(j * D, D);
                var dst = dx.Slice(order[_starts[e] + j] / k * D, D);
                for (int i = 0; i < D; i++) dst[i] += src[i];
            }
        }
        if (_alpha != 0) BalanceBackward(dscores);

        var dlogits = Buffers.Ensure(ref _dlogits, T * E);
        for (int t = 0; t < T; t++)
        {
            var s = scores.AsSpan(t * E, E);
            var ds = dscores.AsSpan(t * E, E);
            var dl = dlogits.AsSpan(t * E, E);
            if (_c.ScoringFunc == ScoringFunc.Softmax)
            {
                float dot = 0;
                for (int e = 0; e < E; e++) dot += ds[e] * s[e];
                for (int e = 0; e < E; e++) dl[e] = s[e] * (ds[e] - dot);
            }
            else
            {
                for (int e = 0; e < E; e++) dl[e] = ds[e] * s[e] * (1f - s[e]);
            }
        }
        _mm.AccumulateWeight(dlogits, _x!, _gate, T);
        _mm.AccumulateInput(dlogits, _gate, dx, T);
    }

    /// <summary>d(alpha * sum_i f_i P_i)/d scores, through the per-token normalisation s' = s / sum(s).</summary>
    private void BalanceBackward(Span<float> dscores)
    {
        int T = _T, E = _E;
        var scores = _scores!;
        var dsn = new float[E];
        for (int e = 0; e < E; e++) dsn[e] = (float)(_alpha * ((double)E / (_k * T) * Counts[e]) / T);
        for (int t = 0; t < T; t++)
        {
            var s = scores.AsSpan(t * E, E);
            float sum = 0;
            foreach (var v in s) sum += v;
            float dot = 0;
            for (int e = 0; e < E; e++) dot += dsn[e] * s[e] / sum;
            var ds = dscores.Slice(t * E, E);
            for (int e = 0; e < E; e++) ds[e] += (dsn[e] - dot) / sum;
        }
    }

    private static void Softmax(Span<float> x) => Numerics.OpsScalar.Softmax(x);
}
