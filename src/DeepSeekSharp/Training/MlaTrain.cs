using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Training;

/// <summary>
/// MLA for training (naive form, positions 0..T-1 of one sequence): the forward pass keeps what the backward needs.
/// q = wq(x) or wq_b(q_norm(wq_a(x))); [c_kv, k_pe] = wkv_a(x), c_kv = kv_norm(c_kv), RoPE on q_pe and k_pe;
/// [k_nope, v] = wkv_b(c_kv) per head; causal softmax(scale * (q_nope.k_nope + q_pe.k_pe)) @ v; out = wo(o).
/// </summary>
public sealed class MlaTrain
{
    private readonly ParameterSet _p;
    private readonly Rope _rope;
    private readonly PrecisionPolicy _mm;
    private readonly ParamTensor? _wq, _wqA, _qNorm, _wqB;
    private readonly ParamTensor _wkvA, _kvNorm, _wkvB, _wo;
    private readonly int _dim, _nh, _dn, _dr, _dv, _qk, _C, _qr;
    private readonly float _scale, _eps;
    private int _T;

    // Saved activations of the last forward.
    private float[]? _x;       // (T, dim) input
    private float[]? _qa;      // (T, q_lora_rank) before q_norm
    private float[]? _qaRstd;  // (T)
    private float[]? _qn;      // (T, q_lora_rank) after q_norm
    private float[]? _q;       // (T, nh, qk) rope part rotated
    private float[]? _kv;      // (T, C + dr) wkv_a output before norm and RoPE
    private float[]? _kvRstd;  // (T)
    private float[]? _ckv;     // (T, C) after kv_norm
    private float[]? _kpe;     // (T, dr) rotated
    private float[]? _kvb;     // (T, nh, dn + dv): k_nope and v per head
    private float[]? _att;     // (nh, T, T) softmax probabilities (causal, zero above the diagonal)
    private float[]? _o;       // (T, nh, dv)
    // Backward scratch.
    private float[]? _do, _dq, _dkvb, _dckv, _dkv, _dqn, _dqa, _dP;

    public MlaTrain(ParameterSet p, int layer, Rope rope, PrecisionPolicy? precision = null)
    {
        _mm = precision ?? new PrecisionPolicy(p);
        var c = p.Config;
        _p = p;
        _rope = rope;
        _dim = c.HiddenSize; _nh = c.NumAttentionHeads; _dn = c.QkNopeHeadDim; _dr = c.QkRopeHeadDim; _dv = c.VHeadDim;
        _qk = _dn + _dr; _C = c.KvLoraRank; _qr = c.QLoraRank ?? 0;
        _scale = (float)c.SoftmaxScale;
        _eps = (float)c.RmsNormEps;
        if (c.QLoraRank is not null)
        {
            _wqA = p[HfNames.WqA(layer)];
            _qNorm = p[HfNames.QNorm(layer)];
            _wqB = p[HfNames.WqB(layer)];
        }
        else
        {
            _wq = p[HfNames.Wq(layer)];
        }
        _wkvA = p[HfNames.WkvA(layer)];
        _kvNorm = p[HfNames.KvNorm(layer)];
        _wkvB = p[HfNames.WkvB(layer)];
        _wo = p[HfNames.Wo(layer)];
    }

    private ReadOnlySpan<float> W(ParamTensor t) => _p.Data.AsSpan((int)t.Offset, t.Length);
    private Span<float> G(ParamTensor t) => _p.Grad.AsSpan((int)t.Offset, t.Length);

    /// <summary>x: (T, dim) -> y: (T, dim).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int T)
    {
        _T = T;
        int nh = _nh, dn = _dn, dr = _dr, dv = _dv, qk = _qk, C = _C, kvw = C + dr, hw = dn + dv;
        var xs = Buffers.Ensure(ref _x, T * _dim);
        x[..(T * _dim)].CopyTo(xs);
        var q = Buffers.Ensure(ref _q, T * nh * qk);
        if (_wqA is not null)
        {
            var qa = Buffers.Ensure(ref _qa, T * _qr);
            var qn = Buffers.Ensure(ref _qn, T * _qr);
            _mm.Forward(xs, _wqA, qa, T);
            TrainOps.RmsNormForward(qa, W(_qNorm!), qn, Buffers.Ensure(ref _qaRstd, T), T, _qr, _eps);
            _mm.Forward(qn, _wqB!, q, T);
        }
        else
        {
            _mm.Forward(xs, _wq!, q, T);
        }
        for (int t = 0; t < T; t++)
            for (int h = 0; h < nh; h++)
                TrainOps.RopeForward(_rope, q.AsSpan((t * nh + h) * qk + dn, dr), t);

        var kv = Buffers.Ensure(ref _kv, T * kvw);
        var ckv = Buffers.Ensure(ref _ckv, T * C);
        var kpe = Buffers.Ensure(ref _kpe, T * dr);
        var kvRstd = Buffers.Ensure(ref _kvRstd, T);
        _mm.Forward(xs, _wkvA, kv, T);
        for (int t = 0; t < T; t++)
        {
            TrainOps.RmsNormForward(kv.AsSpan(t * kvw, C), W(_kvNorm), ckv.AsSpan(t * C, C), kvRstd.AsSpan(t, 1), 1, C, _eps);
            kv.AsSpan(t * kvw + C, dr).CopyTo(kpe.AsSpan(t * dr, dr));
            TrainOps.RopeForward(_rope, kpe.AsSpan(t * dr, dr), t);
        }
        var kvb = Buffers.Ensure(ref _kvb, T * nh * hw);
        _mm.Forward(ckv, _wkvB, kvb, T);

        var att = Buffers.Ensure(ref _att, nh * T * T);
        var o = Buffers.Ensure(ref _o, T * nh * dv, clear: true);
        for (int h = 0; h < nh; h++)
        {
            for (int t = 0; t < T; t++)
            {
                var qh = q.AsSpan((t * nh + h) * qk, qk);
                var p = att.AsSpan((h * T + t) * T, T);
                float max = float.NegativeInfinity;
                for (int s = 0; s <= t; s++)
                {
                    float sc = (Dot(qh[..dn], kvb.AsSpan((s * nh + h) * hw, dn)) + Dot(qh.Slice(dn, dr), kpe.AsSpan(s * dr, dr))) * _scale;
                    p[s] = sc;
                    if (sc > max) max = sc;
                }
                double sum = 0;
                for (int s = 0; s <= t; s++)
                {
                    float e = MathF.Exp(p[s] - max);
                    p[s] = e;
                    sum += e;
                }
                float inv = (float)(1.0 / sum);
                for (int s = 0; s <= t; s++) p[s] *= inv;
                p[(t + 1)..].Clear();
                var oh = o.AsSpan((t * nh + h) * dv, dv);
                for (int s = 0; s <= t; s++) Axpy(p[s], kvb.AsSpan((s * nh + h) * hw + dn, dv), oh);
            }
        }
        _mm.Forward(o, _wo, y, T);
    }

    /// <summary>dy: (T, dim); accumulates d loss / d x into dx (T, dim) and the weight gradients.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int T = _T, nh = _nh, dn = _dn, dr = _dr, dv = _dv, qk = _qk, C = _C, kvw = C + dr, hw = dn + dv;
        var q = _q!; var kvb = _kvb!; var kpe = _kpe!; var att = _att!;
        var dO = Buffers.Ensure(ref _do, T * nh * dv, clear: true);
        _mm.AccumulateWeight(dy, _o!, _wo, T);
        _mm.AccumulateInput(dy, _wo, dO, T);

        var dq = Buffers.Ensure(ref _dq, T * nh * qk, clear: true);
        var dkvb = Buffers.Ensure(ref _dkvb, T * nh * hw, clear: true);
        var dkv = Buffers.Ensure(ref _dkv, T * kvw, clear: true); // [d c_kv (pre-norm), d k_pe]
        var dP = Buffers.Ensure(ref _dP, T);
        for (int h = 0; h < nh; h++)
        {
            for (int t = 0; t < T; t++)
            {
                var p = att.AsSpan((h * T + t) * T, T);
                var doh = dO.AsSpan((t * nh + h) * dv, dv);
                double dot = 0;
                for (int s = 0; s <= t; s++)
                {
                    dP[s] = Dot(doh, kvb.AsSpan((s * nh + h) * hw + dn, dv));
                    dot += (double)p[s] * dP[s];
                    Axpy(p[s], doh, dkvb.AsSpan((s * nh + h) * hw + dn, dv));
                }
                var qh = q.AsSpan((t * nh + h) * qk, qk);
                var dqh = dq.AsSpan((t * nh + h) * qk, qk);
                for (int s = 0; s <= t; s++)
                {
                    float ds = p[s] * (dP[s] - (float)dot) * _scale;
                    if (ds == 0) continue;
                    Axpy(ds, kvb.AsSpan((s * nh + h) * hw, dn), dqh[..dn]);
                    Axpy(ds, kpe.AsSpan(s * dr, dr), dqh.Slice(dn, dr));
                    Axpy(ds, qh[..dn], dkvb.AsSpan((s * nh + h) * hw, dn));
                    Axpy(ds, qh.Slice(dn, dr), dkv.AsSpan(s * kvw + C, dr));
                }
            }
        }

        // wkv_b: kvb = ckv @ wkv_b^T
        var dckv = Buffers.Ensure(ref _dckv, T * C, clear: true);
        _mm.AccumulateWeight(dkvb, _ckv!, _wkvB, T);
        _mm.AccumulateInput(dkvb, _wkvB, dckv, T);
        for (int t = 0; t < T; t++)
        {
            TrainOps.RmsNormBackward(dckv.AsSpan(t * C, C), _kv!.AsSpan(t * kvw, C), W(_kvNorm), _kvRstd!.AsSpan(t, 1),
                dkv.AsSpan(t * kvw, C), G(_kvNorm), 1, C);
            TrainOps.RopeBackward(_rope, dkv.AsSpan(t * kvw + C, dr), t);
        }
        _mm.AccumulateWeight(dkv, _x!, _wkvA, T);
        _mm.AccumulateInput(dkv, _wkvA, dx, T);

        for (int t = 0; t < T; t++)
            for (int h = 0; h < nh; h++)
                TrainOps.RopeBackward(_rope, dq.AsSpan((t * nh + h) * qk + dn, dr), t);
        if (_wqA is not null)
        {
            var dqn = Buffers.Ensure(ref _dqn, T * _qr, clear: true);
            var dqa = Buffers.Ensure(ref _dqa, T * _qr, clear: true);
            _mm.AccumulateWeight(dq, _qn!, _wqB!, T);
            _mm.AccumulateInput(dq, _wqB!, dqn, T);
            TrainOps.RmsNormBackward(dqn, _qa!, W(_qNorm!), _qaRstd!, dqa, G(_qNorm!), T, _qr);
            _mm.AccumulateWeight(dqa, _x!, _wqA, T);
            _mm.AccumulateInput(dqa, _wqA, dx, T);
        }
        else
        {
            _mm.AccumulateWeight(dq, _x!, _wq!, T);
            _mm.AccumulateInput(dq, _wq!, dx, T);
        }
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += alpha * x[i];
    }
}
