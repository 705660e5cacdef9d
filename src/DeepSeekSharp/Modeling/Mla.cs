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
        var y = new float[rows * _c.HiddenSize];
        Forward(x, rows, segments, mode, y);
        return y;
    }

    /// <summary>As <see cref="Forward(ReadOnlySpan{float}, int, ReadOnlySpan{SegmentSlice}, AttentionMode)"/>, into output (rows, dim), with pooled scratch.</summary>
    internal void Forward(ReadOnlySpan<float> x, int rows, ReadOnlySpan<SegmentSlice> segments, AttentionMode mode, Span<float> output)
    {
        int nh = NHeads, dn = _c.QkNopeHeadDim, dr = _c.QkRopeHeadDim, dv = _c.VHeadDim, qk = dn + dr, C = _c.KvLoraRank;

        using var q = new PooledBuffer<float>(rows * nh * qk); // (rows, nh, qk)
        using var kv = new PooledBuffer<float>(rows * (C + dr)); // (rows, C + dr)
        // The projections of x (wq or wq_a, and wkv_a) in one parallel region when decoding.
        if (WqA is not null)
        {
            using var qa = new PooledBuffer<float>(rows * WqA.OutFeatures); // (rows, q_lora_rank)
            MatMul.ForwardTwo(WqA.Weight, qa.Span, WkvA.Weight, kv.Span, x, rows);
            QNorm!.Forward(qa.Span, qa.Span);
            WqB!.Forward(qa.Span, q.Span, rows);
        }
        else
        {
            MatMul.ForwardTwo(Wq!.Weight, q.Span, WkvA.Weight, kv.Span, x, rows);
        }
        using var o = new PooledBuffer<float>(rows * nh * dv);   // (rows, nh, dv)

        foreach (var seg in segments)
        {
            for (int t = 0; t < seg.T; t++)
            {
                int r = seg.Row + t, pos = seg.StartPos + t;
                for (int h = 0; h < nh; h++)
                    _rope.Apply(q.Span.Slice((r * nh + h) * qk + dn, dr), pos);
                var row = kv.Span.Slice(r * (C + dr), C + dr);
                KvNorm.Forward(row[..C], row[..C]);
                _rope.Apply(row.Slice(C, dr), pos);
                seg.Cache.Write(pos, row[..C], row.Slice(C, dr));
            }

            int S = seg.StartPos + seg.T;
            var m = mode == AttentionMode.Auto ? (seg.T <= 4 ? AttentionMode.Absorb : AttentionMode.Naive) : mode;
            if (m == AttentionMode.Naive)
            {
                using var kvAll = new PooledBuffer<float>(S * C);  // (S, C)
                using var peAll = new PooledBuffer<float>(S * dr); // (S, dr)
                seg.Cache.ReadKv(S, kvAll.Span);
                seg.Cache.ReadPe(S, peAll.Span);
                using var kvb = new PooledBuffer<float>(S * nh * (dn + dv)); // (S, nh, dn + dv)
                WkvB.Forward(kvAll.Span, kvb.Span, S);
                var job = new HeadJob
                {
                    Mla = this, Q = q.Array, QOff = seg.Row * nh * qk, PeAll = peAll.Array, Kvb = kvb.Array,
                    O = o.Array, OOff = seg.Row * nh * dv, T = seg.T, S = S, StartPos = seg.StartPos,
                };
                RunHeads(job);
            }
            else
            {
                for (int t = 0; t < seg.T; t++)
                    AttendAbsorbed(q.Array, (seg.Row + t) * nh * qk, seg.Cache, seg.StartPos + t + 1, o.Array, (seg.Row + t) * nh * dv);
            }
        }
        Wo.Forward(o.Span, output, rows);
    }

    private static void RunHeads(in HeadJob job)
    {
        int nh = job.Mla.NHeads;
        if (WorkerPool.Shared.Threads == 1 || (long)job.T * job.S * nh < 256) job.Run(0, nh);
        else WorkerPool.Shared.ParallelFor(nh, job);
    }

    /// <summary>Attention of one segment for heads [start, end): a work item of the worker pool is one head.</summary>
    private struct HeadJob : IRangeBody
    {
        public Mla Mla;
        public float[] Q;        // (rows, nh, qk), the segment at QOff
        public int QOff;
        public float[] PeAll;    // (S, dr)
        public float[] Kvb;      // (S, nh, dn + dv)
        public float[] O;        // (rows, nh, dv), the segment at OOff
        public int OOff;
        public int T, S, StartPos;

        public readonly void Run(int start, int end)
        {
            for (int h = start; h < end; h++) Mla.AttendNaive(this, h);
        }
    }

    /// <summary>
    /// One head of the naive (expanded) attention for a segment, as two products: scores (T, S) = q_h (T, qk) @
    /// [k_nope_h | k_pe] (S, qk)^T, scaled, causally masked and normalised row by row, then o_h (T, dv) = p (T, S) @
    /// v_h (S, dv), with v_h gathered transposed so both products run on the decode/GEMM kernels (<see cref="MatMul"/>)
    /// rather than a dot product per (token, position) pair.
    /// </summary>
    private unsafe void AttendNaive(in HeadJob j, int h)
    {
        int nh = NHeads, dn = _c.QkNopeHeadDim, dr = _c.QkRopeHeadDim, dv = _c.VHeadDim, qk = dn + dr;
        int T = j.T, S = j.S;
        using var kh = new PooledBuffer<float>(S * qk); // (S, qk) this head's keys: k_nope from kv_b, then the shared k_pe
        using var vt = new PooledBuffer<float>(dv * S); // (dv, S) this head's values, transposed
        using var qh = new PooledBuffer<float>(T * qk); // (T, qk) this head's queries
        using var sc = new PooledBuffer<float>(T * S);  // (T, S) scores, then probabilities
        using var oh = new PooledBuffer<float>(T * dv); // (T, dv) this head's output
        for (int s = 0; s < S; s++)
        {
            int src = (s * nh + h) * (dn + dv);
            j.Kvb.AsSpan(src, dn).CopyTo(kh.Array.AsSpan(s * qk, dn));
            j.PeAll.AsSpan(s * dr, dr).CopyTo(kh.Array.AsSpan(s * qk + dn, dr));
            for (int d = 0; d < dv; d++) vt.Array[d * S + s] = j.Kvb[src + dn + d];
        }
        for (int t = 0; t < T; t++) j.Q.AsSpan(j.QOff + (t * nh + h) * qk, qk).CopyTo(qh.Array.AsSpan(t * qk, qk));
        fixed (float* pk = kh.Array, pv = vt.Array)
        {
            MatMul.Forward(new WeightView(Checkpoints.DType.F32, (byte*)pk, S, qk), qh.Span, sc.Span, T, Simd.Best, MatMulPath.Auto, null);
            for (int t = 0; t < T; t++)
            {
                int len = j.StartPos + t + 1; // causal: keys [0, len)
                var row = sc.Span.Slice(t * S, S);
                for (int s = 0; s < len; s++) row[s] *= _softmaxScale;
                Ops.Softmax(row[..len]);
                row[len..].Clear();
            }
            MatMul.Forward(new WeightView(Checkpoints.DType.F32, (byte*)pv, dv, S), sc.Span, oh.Span, T, Simd.Best, MatMulPath.Auto, null);
        }
        for (int t = 0; t < T; t++) oh.Span.Slice(t * dv, dv).CopyTo(j.O.AsSpan(j.OOff + (t * nh + h) * dv, dv));
    }

    /// <summary>
    /// Absorbed attention of one token over positions [0, len), all heads in one pass over the latent cache, read in
    /// place: each head's no-RoPE query is folded into latent space (W_UK) and put next to its RoPE query, so one
    /// pass over the cache rows [c_kv | k_pe] scores every head at every position (<see cref="LatentScores"/>, split
    /// over positions, the rows prefetched as they come from DRAM on every step, no packed copy); the latent outputs
    /// of all heads come from one weighted pass over the same rows (<see cref="WeightedRows"/>), then W_UV per head.
    /// The operations for a token do not depend on the other tokens of its batch.
    /// q: (.., nh, qk) at qOff; o: (.., nh, dv) at oOff.
    /// </summary>
    private unsafe void AttendAbsorbed(float[] q, int qOff, LayerCache cache, int len, float[] o, int oOff)
    {
        int nh = NHeads, dn = _c.QkNopeHeadDim, dr = _c.QkRopeHeadDim, qk = dn + dr, C = _c.KvLoraRank, width = C + dr;
        using var qCat = new PooledBuffer<float>(nh * width); // (nh, C + dr) queries in latent space, then RoPE parts
        using var sc = new PooledBuffer<float>(nh * len);     // (nh, len) scores, then probabilities
        using var lat = new PooledBuffer<float>(nh * C);      // (nh, C) latent outputs
        for (int h = 0; h < nh; h++) q.AsSpan(qOff + h * qk + dn, dr).CopyTo(qCat.Span.Slice(h * width + C, dr));
        var heads = new HeadProducts { Mla = this, Q = q, QOff = qOff, QCat = qCat.Array, Lat = lat.Array, O = o, OOff = oOff, Phase = 0 };
        WorkerPool.Shared.ParallelFor(nh, heads);
        var rows = cache.Rows(len); // (len, C + dr)
        bool bf16 = rows.DType == Checkpoints.DType.BF16;
        fixed (float* pq = qCat.Array, ps = sc.Array)
        {
            var scores = new HeadScores { Q = pq, H = nh, M = rows.Data, Bf16 = bf16, W = width, Out = ps, S = len };
            WorkerPool.Shared.ParallelFor((len + HeadScores.Positions - 1) / HeadScores.Positions, scores);
        }
        fixed (float* pp = sc.Array, pl = lat.Array)
        {
            WorkerPool.Shared.ParallelFor(nh, new HeadSoftmax { P = pp, S = len, Scale = _softmaxScale });
            var mix = new LatentMix { P = pp, M = rows.Data, Bf16 = bf16, Ldm = width, Out = pl, H = nh, S = len, C = C };
            WorkerPool.Shared.ParallelFor((C + LatentMix.Cols - 1) / LatentMix.Cols, mix);
        }
        heads.Phase = 1;
        WorkerPool.Shared.ParallelFor(nh, heads);
        GC.KeepAlive(cache); // its memory holds the rows read above
    }

    /// <summary>Per head: phase 0 folds q_nope into latent space (W_UK), phase 1 maps the latent output to v (W_UV).</summary>
    private struct HeadProducts : IRangeBody
    {
        public Mla Mla;
        public float[] Q, QCat, Lat, O;
        public int QOff, OOff, Phase;

        public readonly void Run(int start, int end)
        {
            var c = Mla._c;
            int dn = c.QkNopeHeadDim, dv = c.VHeadDim, qk = dn + c.QkRopeHeadDim, C = c.KvLoraRank, width = C + c.QkRopeHeadDim;
            var w = Mla.WkvB.Weight; // rows h (dn + dv) + [0, dn): latent -> k_nope; + [dn, dn + dv): latent -> v
            for (int h = start; h < end; h++)
            {
                int baseRow = h * (dn + dv);
                if (Phase == 0)
                {
                    var qLat = QCat.AsSpan(h * width, C);
                    qLat.Clear();
                    WeightRows.Accumulate(w, baseRow, Q.AsSpan(QOff + h * qk, dn), qLat);
                }
                else if (w.CanSliceAt(baseRow + dn))
                {
                    // The decode rows kernel on this head's W_UV rows (FP8: they start on a scale block).
                    MatMul.Forward(w.RowSlice(baseRow + dn, baseRow + dn + dv), Lat.AsSpan(h * C, C), O.AsSpan(OOff + h * dv, dv), 1,
                        Simd.Best, MatMulPath.Rows, null);
                }
                else
                {
                    WeightRows.Dots(w, baseRow + dn, Lat.AsSpan(h * C, C), O.AsSpan(OOff + h * dv, dv));
                }
            }
        }
    }

    /// <summary>Every head's scores against a range of cache positions (<see cref="LatentScores"/>): an item is <see cref="Positions"/> positions.</summary>
    private unsafe struct HeadScores : IRangeBody
    {
        public const int Positions = 32;
        public float* Q, Out;
        public byte* M;
        public bool Bf16;
        public int H, W, S;

        public readonly void Run(int start, int end) =>
            LatentScores.Run(Q, W, H, M, Bf16, W, W, Out, S, start * Positions, Math.Min(S, end * Positions));
    }

    /// <summary>Per head: scores (S) scaled by the softmax scale, then softmax in place.</summary>
    private unsafe struct HeadSoftmax : IRangeBody
    {
        public float* P;
        public int S;
        public float Scale;

        public readonly void Run(int start, int end)
        {
            for (int h = start; h < end; h++)
            {
                var row = new Span<float>(P + (nint)h * S, S);
                for (int s = 0; s < row.Length; s++) row[s] *= Scale;
                Ops.Softmax(row);
            }
        }
    }

    /// <summary>Latent outputs of all heads for a range of latent columns (<see cref="WeightedRows"/>).</summary>
    private unsafe struct LatentMix : IRangeBody
    {
        public const int Cols = 64;
        public float* P, Out;
        public byte* M;
        public bool Bf16;
        public int Ldm, H, S, C;

        public readonly void Run(int start, int end) =>
            WeightedRows.Run(P, S, H, M, Bf16, Ldm, S, Out, C, start * Cols, Math.Min(C, end * Cols));
    }
}

/// <summary>One sequence's rows within a batched forward: rows [Row, Row + T) are positions [StartPos, StartPos + T) of Cache.</summary>
public readonly record struct SegmentSlice(int Row, int T, int StartPos, LayerCache Cache);
