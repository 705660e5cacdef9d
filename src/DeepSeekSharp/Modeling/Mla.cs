using DeepSeekSharp.Inference;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>How MLA computes attention: naive (expand k_nope and v from the latent with wkv_b) or absorbed
/// (fold wkv_b's key part into the query and its value part after attention, DeepSeek's attn_impl="absorb").</summary>
public enum AttentionMode { Auto, Naive, Absorb }

/// <summary>
/// Multi-head Latent Attention (model.py's MLA). Queries through wq (or wq_a -> q_norm -> wq_b); keys and values
/// from one latent c_kv = kv_norm(wkv_a(x)[:kv_lora_rank]) plus a shared RoPE key k_pe; only c_kv and k_pe are cached.
/// </summary>
public sealed class Mla
{
    private readonly ModelConfig _c;
    private readonly Rope _rope;
    private readonly float _softmaxScale;

    public Linear? Wq { get; }
    public Linear? WqA { get; }
    public RmsNorm? QNorm { get; }
    public Linear? WqB { get; }
    public Linear WkvA { get; }
    public RmsNorm KvNorm { get; }
    public Linear WkvB { get; }
    public Linear Wo { get; }

    public int NHeads => _c.NumAttentionHeads;

    public Mla(ModelWeights w, int layer, Rope rope)
    {
        _c = w.Config;
        _rope = rope;
        _softmaxScale = (float)_c.SoftmaxScale;
        int dim = _c.HiddenSize, nh = _c.NumAttentionHeads, qk = _c.QkHeadDim;
        if (_c.QLoraRank is int qr)
        {
            WqA = Linear.Load(w, HfNames.WqA(layer), qr, dim);
            QNorm = RmsNorm.Load(w, HfNames.QNorm(layer), qr);
            WqB = Linear.Load(w, HfNames.WqB(layer), nh * qk, qr);
        }
        else
        {
            Wq = Linear.Load(w, HfNames.Wq(layer), nh * qk, dim);
        }
        WkvA = Linear.Load(w, HfNames.WkvA(layer), _c.KvLoraRank + _c.QkRopeHeadDim, dim);
        KvNorm = RmsNorm.Load(w, HfNames.KvNorm(layer), _c.KvLoraRank);
        WkvB = Linear.Load(w, HfNames.WkvB(layer), nh * (_c.QkNopeHeadDim + _c.VHeadDim), _c.KvLoraRank);
        Wo = Linear.Load(w, HfNames.Wo(layer), dim, nh * _c.VHeadDim);
    }

    /// <summary>
    /// x: (T, dim) for positions [startPos, startPos + T). Writes those positions' c_kv and k_pe into the cache
    /// and attends causally over [0, startPos + T). Returns (T, dim).
    /// </summary>
    public float[] Forward(ReadOnlySpan<float> x, int T, int startPos, LayerCache cache, AttentionMode mode = AttentionMode.Auto) =>
        Forward(x, T, new[] { new SegmentSlice(0, T, startPos, cache) }, mode);

    /// <summary>
    /// Several sequences at once: x (rows, dim) holds each segment's tokens at rows [Row, Row + T). Projections run
    /// over all rows together (one pass over the weights); RoPE, the cache and attention per segment. Returns (rows, dim).
    /// </summary>
    public float[] Forward(ReadOnlySpan<float> x, int rows, ReadOnlySpan<SegmentSlice> segments, AttentionMode mode = AttentionMode.Auto)
    {
        int nh = NHeads, dn = _c.QkNopeHeadDim, dr = _c.QkRopeHeadDim, dv = _c.VHeadDim, qk = dn + dr, C = _c.KvLoraRank;

        float[] q; // (rows, nh, qk)
        if (WqA is not null)
        {
            var qa = WqA.Forward(x, rows); // (rows, q_lora_rank)
            QNorm!.Forward(qa, qa);
            q = WqB!.Forward(qa, rows);
        }
        else
        {
            q = Wq!.Forward(x, rows);
        }
        var kv = WkvA.Forward(x, rows); // (rows, C + dr)
        var o = new float[rows * nh * dv]; // (rows, nh, dv)

        foreach (var seg in segments)
        {
            for (int t = 0; t < seg.T; t++)
            {
                int r = seg.Row + t, pos = seg.StartPos + t;
                for (int h = 0; h < nh; h++)
                    _rope.Apply(q.AsSpan((r * nh + h) * qk + dn, dr), pos);
                var row = kv.AsSpan(r * (C + dr), C + dr);
                KvNorm.Forward(row[..C], row[..C]);
                _rope.Apply(row.Slice(C, dr), pos);
                seg.Cache.Write(pos, row[..C], row.Slice(C, dr));
            }

            int S = seg.StartPos + seg.T;
            var kvAll = new float[S * C];  // (S, C)
            var peAll = new float[S * dr]; // (S, dr)
            seg.Cache.ReadKv(S, kvAll);
            seg.Cache.ReadPe(S, peAll);

            var m = mode == AttentionMode.Auto ? (seg.T <= 4 ? AttentionMode.Absorb : AttentionMode.Naive) : mode;
            var qs = q.AsSpan(seg.Row * nh * qk, seg.T * nh * qk);
            var os = o.AsSpan(seg.Row * nh * dv, seg.T * nh * dv);
            if (m == AttentionMode.Naive) AttendNaive(qs, kvAll, peAll, os, seg.T, S, seg.StartPos);
            else AttendAbsorbed(qs, kvAll, peAll, os, seg.T, S, seg.StartPos);
        }
        return Wo.Forward(o, rows);
    }

    private void AttendNaive(ReadOnlySpan<float> q, float[] kvAll, float[] peAll, Span<float> o, int T, int S, int startPos)
    {
        int nh = NHeads, dn = _c.QkNopeHeadDim, dr = _c.QkRopeHeadDim, dv = _c.VHeadDim, qk = dn + dr;
        var kvb = WkvB.Forward(kvAll, S); // (S, nh, dn + dv)
        var scores = new float[S];
        for (int t = 0; t < T; t++)
        {
            int len = startPos + t + 1; // causal: keys [0, len)
            for (int h = 0; h < nh; h++)
            {
                var qh = q.Slice((t * nh + h) * qk, qk);
                for (int s = 0; s < len; s++)
                {
                    var k = kvb.AsSpan((s * nh + h) * (dn + dv), dn);
                    scores[s] = (Ops.Dot(qh[..dn], k) + Ops.Dot(qh.Slice(dn, dr), peAll.AsSpan(s * dr, dr))) * _softmaxScale;
                }
                Ops.Softmax(scores.AsSpan(0, len));
                var oh = o.Slice((t * nh + h) * dv, dv);
                for (int s = 0; s < len; s++)
                    Ops.Axpy(scores[s], kvb.AsSpan((s * nh + h) * (dn + dv) + dn, dv), oh);
            }
        }
    }

    private void AttendAbsorbed(ReadOnlySpan<float> q, float[] kvAll, float[] peAll, Span<float> o, int T, int S, int startPos)
    {
        int nh = NHeads, dn = _c.QkNopeHeadDim, dr = _c.QkRopeHeadDim, dv = _c.VHeadDim, qk = dn + dr, C = _c.KvLoraRank;
        var w = WkvB.Weight; // rows h*(dn+dv) + [0, dn) map latent -> k_nope; + [dn, dn+dv) map latent -> v
        var wRow = new float[C];
        var qLat = new float[C];
        var lat = new float[C];
        var scores = new float[S];
        for (int h = 0; h < nh; h++)
        {
            int baseRow = h * (dn + dv);
            for (int t = 0; t < T; t++)
            {
                int len = startPos + t + 1;
                var qh = q.Slice((t * nh + h) * qk, qk);
                // q_nope -> latent space: qLat[c] = sum_d q_nope[d] * W_UK[h, d, c]
                Array.Clear(qLat);
                for (int d = 0; d < dn; d++)
                {
                    w.ReadRow(baseRow + d, wRow);
                    Ops.Axpy(qh[d], wRow, qLat);
                }
                for (int s = 0; s < len; s++)
                    scores[s] = (Ops.Dot(qLat, kvAll.AsSpan(s * C, C)) + Ops.Dot(qh.Slice(dn, dr), peAll.AsSpan(s * dr, dr))) * _softmaxScale;
                Ops.Softmax(scores.AsSpan(0, len));
                Array.Clear(lat);
                for (int s = 0; s < len; s++) Ops.Axpy(scores[s], kvAll.AsSpan(s * C, C), lat);
                // latent -> v: o[d] = sum_c lat[c] * W_UV[h, d, c]
                var oh = o.Slice((t * nh + h) * dv, dv);
                for (int d = 0; d < dv; d++)
                {
                    w.ReadRow(baseRow + dn + d, wRow);
                    oh[d] = Ops.Dot(lat, wRow);
                }
            }
        }
    }
}

/// <summary>One sequence's rows within a batched forward: rows [Row, Row + T) are positions [StartPos, StartPos + T) of Cache.</summary>
public readonly record struct SegmentSlice(int Row, int T, int StartPos, LayerCache Cache);
