using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// scores (H, lds)[h, s] = sum over c &lt; W of q (H, ldq)[h, c] * m (S, ldm)[s, c], for positions [s0, s1): absorbed
/// MLA's scores of every head against the latent cache rows [c_kv | k_pe], read in place in BF16 or F32. With 512-bit
/// vectors, two positions and eight heads at a time: each cache row vector is loaded (and widened) once for eight
/// heads and each query vector once for two positions, and the sixteen dot products' lanes are summed by one
/// reduction tree (<see cref="Reduce16"/>); no packed copy of the cache is made. Columns past the last whole vector,
/// heads past the last eight and a last odd position go one dot product at a time. Scalar twin: <see cref="RunScalar"/>
/// (the same products, summed in column order: the two agree to rounding, not bit for bit).
/// </summary>
internal static unsafe class LatentScores
{
    /// <summary>q: (H, ldq); m: (S, ldm) F32 or BF16 (bf16), columns [0, W) used; scores: (H, lds), columns [s0, s1) written.</summary>
    public static void Run(float* q, int ldq, int H, byte* m, bool bf16, int ldm, int W, float* scores, int lds, int s0, int s1)
    {
        if (bf16) Run<Bf16Load>(q, ldq, H, m, ldm, W, scores, lds, s0, s1);
        else Run<F32Load>(q, ldq, H, m, ldm, W, scores, lds, s0, s1);
    }

    private static void Run<TW>(float* q, int ldq, int H, byte* m, int ldm, int W, float* scores, int lds, int s0, int s1)
        where TW : struct, IWeightLoad
    {
        if (Simd.Best == SimdTier.V512) Run512<TW>(q, ldq, H, m, ldm, W, scores, lds, s0, s1);
        else if (Simd.Best == SimdTier.V256) RunDots<Vector256<float>, V256Ops, TW>(q, ldq, 0, H, m, ldm, W, scores, lds, s0, s1);
        else RunScalar(q, ldq, H, m, typeof(TW) == typeof(Bf16Load), ldm, W, scores, lds, s0, s1);
    }

    /// <summary>The element-by-element twin: each score summed in column order with fused multiply-adds.</summary>
    public static void RunScalar(float* q, int ldq, int H, byte* m, bool bf16, int ldm, int W, float* scores, int lds, int s0, int s1)
    {
        for (int h = 0; h < H; h++)
            for (int s = s0; s < s1; s++)
            {
                float acc = 0;
                for (int c = 0; c < W; c++)
                {
                    nint i = (nint)s * ldm + c;
                    float v = bf16 ? BFloat16.ToSingle(((ushort*)m)[i]) : ((float*)m)[i];
                    acc = MathF.FusedMultiplyAdd(q[(nint)h * ldq + c], v, acc);
                }
                scores[(nint)h * lds + s] = acc;
            }
    }

    /// <summary>Scores of heads [h0, h1) one dot product per (head, position), at any vector width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RunDots<TV, TOps, TW>(float* q, int ldq, int h0, int h1, byte* m, int ldm, int W, float* scores, int lds, int s0, int s1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        int V = TOps.Count, wv = W / V * V;
        for (int s = s0; s < s1; s++)
        {
            nint row = (nint)s * ldm;
            for (int h = h0; h < h1; h++)
            {
                float* qh = q + (nint)h * ldq;
                TV a = TOps.Zero;
                for (int c = 0; c < wv; c += V) a = TOps.Fma(TOps.Load(qh + c), TW.Load<TV, TOps>(m, row + c), a);
                scores[(nint)h * lds + s] = TOps.Sum(a) + Tail<TW>(qh, m, row, wv, W);
            }
        }
    }

    /// <summary>sum over c in [c0, W) of qh[c] * m[row + c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail<TW>(float* qh, byte* m, nint row, int c0, int W) where TW : struct, IWeightLoad
    {
        float t = 0;
        for (int c = c0; c < W; c++) t = MathF.FusedMultiplyAdd(qh[c], TW.Load1(m, row + c), t);
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run512<TW>(float* q, int ldq, int H, byte* m, int ldm, int W, float* scores, int lds, int s0, int s1)
        where TW : struct, IWeightLoad
    {
        int wv = W / 16 * 16;
        int[] map = Reduce16Map;
        float* sums = stackalloc float[16];
        int h = 0;
        for (; h + 8 <= H; h += 8)
        {
            float* q0 = q + (nint)h * ldq, q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq;
            float* q4 = q3 + ldq, q5 = q4 + ldq, q6 = q5 + ldq, q7 = q6 + ldq;
            int s = s0;
            if (h == 0) Prefetch<TW>(m, ldm, W, s0, Math.Min(s1, s0 + PrefetchRows));
            for (; s + 2 <= s1; s += 2)
            {
                nint ra = (nint)s * ldm, rb = ra + ldm;
                if (h == 0 && s + PrefetchRows + 2 <= s1) Prefetch<TW>(m, ldm, W, s + PrefetchRows, s + PrefetchRows + 2);
                Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
                Vector512<float> a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default, a7 = default, b7 = default;
                for (int c = 0; c < wv; c += 16)
                {
                    var ma = TW.Load<Vector512<float>, V512Ops>(m, ra + c);
                    var mb = TW.Load<Vector512<float>, V512Ops>(m, rb + c);
                    var x = Vector512.Load(q0 + c); a0 = Avx512F.FusedMultiplyAdd(x, ma, a0); b0 = Avx512F.FusedMultiplyAdd(x, mb, b0);
                    x = Vector512.Load(q1 + c); a1 = Avx512F.FusedMultiplyAdd(x, ma, a1); b1 = Avx512F.FusedMultiplyAdd(x, mb, b1);
                    x = Vector512.Load(q2 + c); a2 = Avx512F.FusedMultiplyAdd(x, ma, a2); b2 = Avx512F.FusedMultiplyAdd(x, mb, b2);
                    x = Vector512.Load(q3 + c); a3 = Avx512F.FusedMultiplyAdd(x, ma, a3); b3 = Avx512F.FusedMultiplyAdd(x, mb, b3);
                    x = Vector512.Load(q4 + c); a4 = Avx512F.FusedMultiplyAdd(x, ma, a4); b4 = Avx512F.FusedMultiplyAdd(x, mb, b4);
                    x = Vector512.Load(q5 + c); a5 = Avx512F.FusedMultiplyAdd(x, ma, a5); b5 = Avx512F.FusedMultiplyAdd(x, mb, b5);
                    x = Vector512.Load(q6 + c); a6 = Avx512F.FusedMultiplyAdd(x, ma, a6); b6 = Avx512F.FusedMultiplyAdd(x, mb, b6);
                    x = Vector512.Load(q7 + c); a7 = Avx512F.FusedMultiplyAdd(x, ma, a7); b7 = Avx512F.FusedMultiplyAdd(x, mb, b7);
                }
                // Vector i of the tree is head i / 2 at position s + i % 2.
                Reduce16(a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, a6, b6, a7, b7).Store(sums);
                for (int l = 0; l < 16; l++)
                {
                    int i = map[l], hh = h + i / 2, ss = s + i % 2;
                    scores[(nint)hh * lds + ss] = sums[l] + Tail<TW>(q + (nint)hh * ldq, m, (nint)ss * ldm, wv, W);
                }
            }
            if (s < s1) RunDots<Vector512<float>, V512Ops, TW>(q, ldq, h, h + 8, m, ldm, W, scores, lds, s, s1);
        }
        if (h < H) RunDots<Vector512<float>, V512Ops, TW>(q, ldq, h, H, m, ldm, W, scores, lds, s0, s1);
    }

    /// <summary>
    /// How many rows ahead the first head group asks for the cache rows: the rows come from DRAM on every decode step
    /// (a step's weights push them out of L3) and two rows at a time are too short a stream for the hardware prefetcher.
    /// </summary>
    private const int PrefetchRows = 8;

    /// <summary>Asks for rows [r0, r1) (columns [0, W)) into L2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch<TW>(byte* m, int ldm, int W, int r0, int r1) where TW : struct, IWeightLoad
    {
        if (!Sse.IsSupported) return;
        nint rowBytes = (nint)ldm * TW.Size, used = (nint)W * TW.Size;
        for (int r = r0; r < r1; r++)
            for (nint b = 0; b < used; b += 64) Sse.Prefetch1(m + r * rowBytes + b);
    }

    /// <summary>
    /// Sixteen vectors summed lane-wise into one: lane l of the result is the sum of all lanes of vector
    /// <see cref="Reduce16Map"/>[l]. Four levels, each halving the vectors: 256-bit halves, then 128-bit lanes, then
    /// 64-bit and 32-bit pairs within the lanes (2 shuffles and 1 add per pair: 45 operations for 16 dot products).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Reduce16(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        Vector512<float> v4, Vector512<float> v5, Vector512<float> v6, Vector512<float> v7, Vector512<float> v8, Vector512<float> v9,
        Vector512<float> v10, Vector512<float> v11, Vector512<float> v12, Vector512<float> v13, Vector512<float> v14, Vector512<float> v15)
    {
        var t0 = Halves(v0, v1); var t1 = Halves(v2, v3); var t2 = Halves(v4, v5); var t3 = Halves(v6, v7);
        var t4 = Halves(v8, v9); var t5 = Halves(v10, v11); var t6 = Halves(v12, v13); var t7 = Halves(v14, v15);
        var u0 = Lanes(t0, t1); var u1 = Lanes(t2, t3); var u2 = Lanes(t4, t5); var u3 = Lanes(t6, t7);
        var w0 = Pairs64(u0, u1); var w1 = Pairs64(u2, u3);
        return Avx512F.Shuffle(w0, w1, 0x88) + Avx512F.Shuffle(w0, w1, 0xDD); // per lane [w0.0, w0.2, w1.0, w1.2] + [w0.1, w0.3, w1.1, w1.3]
    }

    /// <summary>[a.L0 + a.L2, a.L1 + a.L3, b.L0 + b.L2, b.L1 + b.L3] (128-bit lanes): a's 8 partial sums, then b's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> a, Vector512<float> b)
        => Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);

    /// <summary>From two vectors of [x, x, y, y] lanes: one lane (4 partial sums) per source, [a, b, c, d].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(Vector512<float> a, Vector512<float> b)
        => Avx512F.Shuffle4x128(a, b, 0x88) + Avx512F.Shuffle4x128(a, b, 0xDD);

    /// <summary>Per 128-bit lane: a's 4 partial sums and b's into 2 each ([a, a, b, b] in 32-bit elements).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pairs64(Vector512<float> a, Vector512<float> b)
        => Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle() + Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>Which input vector of <see cref="Reduce16"/> each lane of its result sums (found once by running it).</summary>
    internal static readonly int[] Reduce16Map = FindMap();

    private static int[] FindMap()
    {
        var map = new int[16];
        if (!Avx512F.IsSupported) return map;
        var v = new Vector512<float>[16];
        for (int i = 0; i < 16; i++) v[i] = Vector512.Create((float)i);
        var r = Reduce16(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]);
        for (int l = 0; l < 16; l++) map[l] = (int)(r.GetElement(l) / 16);
        if (map.Distinct().Count() != 16) throw new InvalidOperationException("LatentScores.Reduce16 does not keep its sixteen inputs apart");
        return map;
    }
}
