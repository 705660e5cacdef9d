using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// Row-range products of a weight in its stored dtype, for MLA's absorbed attention, which uses wkv_b per head:
/// <see cref="Accumulate"/> (acc += coef @ W[r0 : r0 + n], the transposed product that folds W_UK into the query)
/// and <see cref="Dots"/> (out = W[r0 : r0 + n] @ v, W_UV after attention). Rows are widened with SIMD
/// (BF16 shift, FP8 rebias) and FP8 block scales applied per column block, so wkv_b is never expanded in memory.
/// Single-threaded: the caller parallelises over heads.
/// </summary>
internal static unsafe class WeightRows
{
    /// <summary>acc (Cols) += sum_i coef[i] * W[r0 + i, :] for i in [0, coef.Length).</summary>
    public static void Accumulate(in WeightView w, int r0, ReadOnlySpan<float> coef, Span<float> acc)
    {
        if (r0 < 0 || r0 + coef.Length > w.Rows || acc.Length < w.Cols) throw new ArgumentException("WeightRows.Accumulate: rows or acc out of range");
        fixed (float* pc = coef)
        fixed (float* pa = acc)
        {
            switch (Simd.Best, w.DType)
            {
                case (SimdTier.V512, DType.F32): Acc<Vector512<float>, V512Ops, F32Load>(w, r0, coef.Length, pc, pa); break;
                case (SimdTier.V512, DType.BF16): Acc<Vector512<float>, V512Ops, Bf16Load>(w, r0, coef.Length, pc, pa); break;
                case (SimdTier.V512, _): Acc<Vector512<float>, V512Ops, Fp8Load>(w, r0, coef.Length, pc, pa); break;
                case (SimdTier.V256, DType.F32): Acc<Vector256<float>, V256Ops, F32Load>(w, r0, coef.Length, pc, pa); break;
                case (SimdTier.V256, DType.BF16): Acc<Vector256<float>, V256Ops, Bf16Load>(w, r0, coef.Length, pc, pa); break;
                case (SimdTier.V256, _): Acc<Vector256<float>, V256Ops, Fp8Load>(w, r0, coef.Length, pc, pa); break;
                case (_, DType.F32): Acc<float, ScalarOps, F32Load>(w, r0, coef.Length, pc, pa); break;
                case (_, DType.BF16): Acc<float, ScalarOps, Bf16Load>(w, r0, coef.Length, pc, pa); break;
                default: Acc<float, ScalarOps, Fp8Load>(w, r0, coef.Length, pc, pa); break;
            }
        }
    }

    /// <summary>out[i] = W[r0 + i, :] . v for i in [0, out.Length).</summary>
    public static void Dots(in WeightView w, int r0, ReadOnlySpan<float> v, Span<float> output)
    {
        if (r0 < 0 || r0 + output.Length > w.Rows || v.Length < w.Cols) throw new ArgumentException("WeightRows.Dots: rows or v out of range");
        fixed (float* pv = v)
        fixed (float* po = output)
        {
            switch (Simd.Best, w.DType)
            {
                case (SimdTier.V512, DType.F32): Dot<Vector512<float>, V512Ops, F32Load>(w, r0, output.Length, pv, po); break;
                case (SimdTier.V512, DType.BF16): Dot<Vector512<float>, V512Ops, Bf16Load>(w, r0, output.Length, pv, po); break;
                case (SimdTier.V512, _): Dot<Vector512<float>, V512Ops, Fp8Load>(w, r0, output.Length, pv, po); break;
                case (SimdTier.V256, DType.F32): Dot<Vector256<float>, V256Ops, F32Load>(w, r0, output.Length, pv, po); break;
                case (SimdTier.V256, DType.BF16): Dot<Vector256<float>, V256Ops, Bf16Load>(w, r0, output.Length, pv, po); break;
                case (SimdTier.V256, _): Dot<Vector256<float>, V256Ops, Fp8Load>(w, r0, output.Length, pv, po); break;
                case (_, DType.F32): Dot<float, ScalarOps, F32Load>(w, r0, output.Length, pv, po); break;
                case (_, DType.BF16): Dot<float, ScalarOps, Bf16Load>(w, r0, output.Length, pv, po); break;
                default: Dot<float, ScalarOps, Fp8Load>(w, r0, output.Length, pv, po); break;
            }
        }
    }

    /// <summary>
    /// Weights widened to their exact F32 values: the kernels' FP8 load gives value * 2^-120 (see IVecOps), so it is
    /// multiplied back by 2^120 here (exact: a power of two), as the scalar tail's Load1 does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Widen<TV, TOps, TW>(byte* data, nint i)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        var x = TW.Load<TV, TOps>(data, i);
        return typeof(TW) == typeof(Fp8Load) ? TOps.Mul(x, TOps.Broadcast(Simd.Fp8Rebias)) : x;
    }

    /// <summary>
    /// How far ahead (bytes) the row loops ask for cache lines into L2. A head's rows are a short run (64 KiB of FP8
    /// wkv_b) that the hardware prefetcher alone leaves mostly exposed: W_UK took 75-105 us per layer against 25 us of
    /// widening work.
    /// </summary>
    private const int FarAhead = 8192;

    /// <summary>Asks for bytes [0, n) of four rows (stride rowBytes) starting FarAhead past p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchFour(byte* p, nint rowBytes, nint n)
    {
        if (!Sse.IsSupported) return;
        for (nint b = 0; b < n; b += 64)
        {
            Sse.Prefetch1(p + FarAhead + b);
            Sse.Prefetch1(p + FarAhead + rowBytes + b);
            Sse.Prefetch1(p + FarAhead + 2 * rowBytes + b);
            Sse.Prefetch1(p + FarAhead + 3 * rowBytes + b);
        }
    }

    /// <summary>Column blocks: the FP8 scale block width, else the whole row.</summary>
    private static int BlockOf(in WeightView w, bool fp8) => fp8 ? w.BlockCols : w.Cols;

    /// <summary>
    /// The FP8 scale rows of weight rows r .. r + 3 (one division: four rows cross at most one row-block boundary);
    /// null when not FP8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleRows4(in WeightView w, bool fp8, int r, out float* q0, out float* q1, out float* q2, out float* q3)
    {
        if (!fp8) { q0 = q1 = q2 = q3 = null; return; }
        int rb = r / w.BlockRows, next = (rb + 1) * w.BlockRows;
        float* first = w.ScaleInv + (nint)rb * w.ScaleCols, second = first + w.ScaleCols;
        q0 = first;
        q1 = r + 1 >= next ? second : first;
        q2 = r + 2 >= next ? second : first;
        q3 = r + 3 >= next ? second : first;
    }

    private static float ScaleOf(in WeightView w, bool fp8, int r, int c0) =>
        fp8 ? w.ScaleInv[r / w.BlockRows * w.ScaleCols + c0 / w.BlockCols] : 1f;

    /// <summary>
    /// acc += coef @ W[r0 : r0 + n], four rows per pass over acc (each acc vector loaded and stored once per four rows,
    /// its four multiply-adds in row order). At 512 bits the columns in whole decode groups (<see cref="IWeightLoad.Group"/>,
    /// never across an FP8 scale block) are widened a group at a time with the decode kernels' shuffle-free split
    /// (FP8: 9 operations per 64 weights against 16 a vector at a time; W_UK of 16 heads x 128 x 512, one thread, in
    /// the caches: 64 -> 41 us), acc put in the groups' lane order first and back after (<see cref="ToLanes"/>). FP8
    /// rows widen to value * 2^-120 and their multipliers carry 2^100, so the grouped sums are held times 2^-20, undone
    /// exactly at the end: every multiply-add rounds as the unscaled one. Every column's sum takes the rows in order with
    /// one fused multiply-add each, here and in <see cref="AccVectors"/> (256 bits), tails included, so the two widths
    /// agree bit for bit; the scalar tier (<see cref="ScalarOps"/>: unfused) agrees to rounding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Acc<TV, TOps, TW>(in WeightView w, int r0, int n, float* coef, float* acc)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        if (typeof(TV) != typeof(Vector512<float>))
        {
            AccVectors<TV, TOps, TW>(w, r0, n, coef, acc);
            return;
        }
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, V = TOps.Count, G = TW.Lanes * V, blk = BlockOf(w, fp8);
        float xs = fp8 ? Simd.Fp8XScale : 1f;
        byte* data = w.Data;
        ToLanes<TV, TOps, TW>(acc, K, blk, fp8 ? 1f / Simd.Fp8OutScale : 1f, toLanes: true);
        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            int r = r0 + i;
            nint o0 = (nint)r * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
            ScaleRows4(w, fp8, r, out float* q0, out float* q1, out float* q2, out float* q3);
            for (int c0 = 0, b = 0; c0 < K; c0 += blk, b++)
            {
                int c1 = Math.Min(K, c0 + blk), cg = c0 + (c1 - c0) / G * G;
                float s0 = fp8 ? coef[i] * q0[b] : coef[i], s1 = fp8 ? coef[i + 1] * q1[b] : coef[i + 1];
                float s2 = fp8 ? coef[i + 2] * q2[b] : coef[i + 2], s3 = fp8 ? coef[i + 3] * q3[b] : coef[i + 3];
                TV a0 = TOps.Broadcast(s0 * xs), a1 = TOps.Broadcast(s1 * xs), a2 = TOps.Broadcast(s2 * xs), a3 = TOps.Broadcast(s3 * xs);
                PrefetchFour(data + (o0 + c0) * TW.Size, (nint)K * TW.Size, (nint)(c1 - c0) * TW.Size);
                for (int k = c0; k < cg; k += G)
                {
                    float* p = acc + k;
                    TV t0 = TOps.Load(p), t1 = TOps.Load(p + V), t2 = TOps.Load(p + 2 * V), t3 = TOps.Load(p + 3 * V);
                    GroupFma.Row<TV, TOps, TW>(data, o0 + k, a0, a0, a0, a0, ref t0, ref t1, ref t2, ref t3);
                    GroupFma.Row<TV, TOps, TW>(data, o1 + k, a1, a1, a1, a1, ref t0, ref t1, ref t2, ref t3);
                    GroupFma.Row<TV, TOps, TW>(data, o2 + k, a2, a2, a2, a2, ref t0, ref t1, ref t2, ref t3);
                    GroupFma.Row<TV, TOps, TW>(data, o3 + k, a3, a3, a3, a3, ref t0, ref t1, ref t2, ref t3);
                    TOps.Store(p, t0); TOps.Store(p + V, t1); TOps.Store(p + 2 * V, t2); TOps.Store(p + 3 * V, t3);
                }
                TailFour<TW>(data, o0, o1, o2, o3, s0, s1, s2, s3, acc, cg, c1);
            }
        }
        for (; i < n; i++)
        {
            int r = r0 + i;
            nint o = (nint)r * K;
            for (int c0 = 0; c0 < K; c0 += blk)
            {
                int c1 = Math.Min(K, c0 + blk), cg = c0 + (c1 - c0) / G * G;
                float s = coef[i] * ScaleOf(w, fp8, r, c0);
                TV a = TOps.Broadcast(s * xs);
                for (int k = c0; k < cg; k += G)
                {
                    float* p = acc + k;
                    TV t0 = TOps.Load(p), t1 = TOps.Load(p + V), t2 = TOps.Load(p + 2 * V), t3 = TOps.Load(p + 3 * V);
                    GroupFma.Row<TV, TOps, TW>(data, o + k, a, a, a, a, ref t0, ref t1, ref t2, ref t3);
                    TOps.Store(p, t0); TOps.Store(p + V, t1); TOps.Store(p + 2 * V, t2); TOps.Store(p + 3 * V, t3);
                }
                for (int k = cg; k < c1; k++) acc[k] = MathF.FusedMultiplyAdd(TW.Load1(data, o + k), s, acc[k]);
            }
        }
        ToLanes<TV, TOps, TW>(acc, K, blk, fp8 ? Simd.Fp8OutScale : 1f, toLanes: false);
    }

    /// <summary>acc[k] += the four rows' weights at k times s0 .. s3, in row order, fused, for k in [from, to).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TailFour<TW>(byte* data, nint o0, nint o1, nint o2, nint o3, float s0, float s1, float s2, float s3,
        float* acc, int from, int to) where TW : struct, IWeightLoad
    {
        for (int k = from; k < to; k++)
        {
            float t = MathF.FusedMultiplyAdd(TW.Load1(data, o0 + k), s0, acc[k]);
            t = MathF.FusedMultiplyAdd(TW.Load1(data, o1 + k), s1, t);
            t = MathF.FusedMultiplyAdd(TW.Load1(data, o2 + k), s2, t);
            acc[k] = MathF.FusedMultiplyAdd(TW.Load1(data, o3 + k), s3, t);
        }
    }

    /// <summary>
    /// Every whole group of acc's columns (within each column block) moved into the groups' lane order and scaled
    /// (toLanes), or back into column order and scaled; columns past the last whole group of a block stay as they are.
    /// </summary>
    private static void ToLanes<TV, TOps, TW>(float* acc, int K, int blk, float scale, bool toLanes)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        if (typeof(TW) == typeof(F32Load))
        {
            // F32 groups are four consecutive vectors: the lane order is the column order.
            if (scale != 1f) for (int c = 0; c < K; c++) acc[c] *= scale;
            return;
        }
        const int G = 64; // a 512-bit group: 64 FP8 or BF16 columns
        for (int c0 = 0; c0 < K; c0 += blk)
            for (int k = c0; k + G <= Math.Min(K, c0 + blk); k += G)
            {
                if (typeof(TW) == typeof(Fp8Load))
                {
                    if (toLanes) ToLanesFp8(acc + k, scale);
                    else FromLanesFp8(acc + k, scale);
                }
                else
                {
                    EvenOdd(acc + k, scale, toLanes);
                    EvenOdd(acc + k + 32, scale, toLanes);
                }
            }
    }

    /// <summary>
    /// 64 columns (4 vectors) into the FP8 decode group's lane order, times scale: lane j element i = column 4 i + j
    /// (<see cref="V512Ops.LoadFp8Quad"/>). The inverse of <see cref="FromLanesFp8"/>: 128-bit lanes transposed, then
    /// 64-bit and 32-bit pairs taken apart.
    /// </summary>
    private static void ToLanesFp8(float* p, float scale)
    {
        Transpose128(Vector512.Load(p), Vector512.Load(p + 16), Vector512.Load(p + 32), Vector512.Load(p + 48), out var e, out var f, out var g, out var h);
        var a = Avx512F.UnpackLow(e.AsDouble(), f.AsDouble()).AsSingle();  // per lane: L0 L1 L0 L1 of columns 4i, 4i + 1
        var c = Avx512F.UnpackHigh(e.AsDouble(), f.AsDouble()).AsSingle(); // L2 L3 L2 L3
        var b = Avx512F.UnpackLow(g.AsDouble(), h.AsDouble()).AsSingle();
        var d = Avx512F.UnpackHigh(g.AsDouble(), h.AsDouble()).AsSingle();
        var s = Vector512.Create(scale);
        (Avx512F.Shuffle(a, b, 0x88) * s).Store(p);
        (Avx512F.Shuffle(a, b, 0xDD) * s).Store(p + 16);
        (Avx512F.Shuffle(c, d, 0x88) * s).Store(p + 32);
        (Avx512F.Shuffle(c, d, 0xDD) * s).Store(p + 48);
    }

    /// <summary>64 columns back from the FP8 lane order (<see cref="ToLanesFp8"/>), times scale.</summary>
    private static void FromLanesFp8(float* p, float scale)
    {
        Vector512<float> l0 = Vector512.Load(p), l1 = Vector512.Load(p + 16), l2 = Vector512.Load(p + 32), l3 = Vector512.Load(p + 48);
        var a = Avx512F.UnpackLow(l0, l1);  // per 128-bit lane k: L0[4k] L1[4k] L0[4k+1] L1[4k+1]
        var b = Avx512F.UnpackHigh(l0, l1); // L0[4k+2] L1[4k+2] L0[4k+3] L1[4k+3]
        var c = Avx512F.UnpackLow(l2, l3);
        var d = Avx512F.UnpackHigh(l2, l3);
        var e = Avx512F.UnpackLow(a.AsDouble(), c.AsDouble()).AsSingle();  // lane k: columns 16k .. 16k + 3
        var f = Avx512F.UnpackHigh(a.AsDouble(), c.AsDouble()).AsSingle(); // 16k + 4 .. 16k + 7
        var g = Avx512F.UnpackLow(b.AsDouble(), d.AsDouble()).AsSingle();  // 16k + 8 ..
        var h = Avx512F.UnpackHigh(b.AsDouble(), d.AsDouble()).AsSingle(); // 16k + 12 ..
        Transpose128(e, f, g, h, out var o0, out var o1, out var o2, out var o3);
        var s = Vector512.Create(scale);
        (o0 * s).Store(p);
        (o1 * s).Store(p + 16);
        (o2 * s).Store(p + 32);
        (o3 * s).Store(p + 48);
    }

    /// <summary>
    /// 32 columns into the BF16 decode group's lane order (even columns, then odd: <see cref="V512Ops.LoadBf16Pair"/>)
    /// times scale, or back (toLanes false).
    /// </summary>
    private static void EvenOdd(float* p, float scale, bool toLanes)
    {
        Vector512<float> x = Vector512.Load(p), y = Vector512.Load(p + 16), s = Vector512.Create(scale);
        if (toLanes)
        {
            (Avx512F.PermuteVar16x32x2(x, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), y) * s).Store(p);
            (Avx512F.PermuteVar16x32x2(x, Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), y) * s).Store(p + 16);
        }
        else
        {
            (Avx512F.PermuteVar16x32x2(x, Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), y) * s).Store(p);
            (Avx512F.PermuteVar16x32x2(x, Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), y) * s).Store(p + 16);
        }
    }

    /// <summary>The 4 x 4 transpose of four vectors' 128-bit lanes: out k lane j = in j lane k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose128(Vector512<float> p, Vector512<float> q, Vector512<float> r, Vector512<float> t,
        out Vector512<float> o0, out Vector512<float> o1, out Vector512<float> o2, out Vector512<float> o3)
    {
        var c0 = Avx512F.Shuffle4x128(p, q, 0x44); // p.L0 p.L1 q.L0 q.L1
        var c1 = Avx512F.Shuffle4x128(p, q, 0xEE); // p.L2 p.L3 q.L2 q.L3
        var c2 = Avx512F.Shuffle4x128(r, t, 0x44);
        var c3 = Avx512F.Shuffle4x128(r, t, 0xEE);
        o0 = Avx512F.Shuffle4x128(c0, c2, 0x88); // p.L0 q.L0 r.L0 t.L0
        o1 = Avx512F.Shuffle4x128(c0, c2, 0xDD); // lane 1 of each
        o2 = Avx512F.Shuffle4x128(c1, c3, 0x88);
        o3 = Avx512F.Shuffle4x128(c1, c3, 0xDD);
    }

    /// <summary>acc += coef @ W[r0 : r0 + n] a vector at a time (256 bits and the scalar tier), four rows per pass over acc, each column's multiply-adds in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccVectors<TV, TOps, TW>(in WeightView w, int r0, int n, float* coef, float* acc)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, V = TOps.Count, blk = BlockOf(w, fp8);
        byte* data = w.Data;
        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            int r = r0 + i;
            nint o0 = (nint)r * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
            for (int c0 = 0; c0 < K; c0 += blk)
            {
                int c1 = Math.Min(K, c0 + blk), cs = c0, cv = cs + (c1 - cs) / V * V;
                float s0 = coef[i] * ScaleOf(w, fp8, r, c0), s1 = coef[i + 1] * ScaleOf(w, fp8, r + 1, c0);
                float s2 = coef[i + 2] * ScaleOf(w, fp8, r + 2, c0), s3 = coef[i + 3] * ScaleOf(w, fp8, r + 3, c0);
                TV a0 = TOps.Broadcast(s0), a1 = TOps.Broadcast(s1), a2 = TOps.Broadcast(s2), a3 = TOps.Broadcast(s3);
                PrefetchFour(data + (o0 + cs) * TW.Size, (nint)K * TW.Size, (nint)(c1 - cs) * TW.Size);
                int k = cs;
                for (; k < cv; k += V)
                {
                    TV t = TOps.Load(acc + k);
                    t = TOps.Fma(Widen<TV, TOps, TW>(data, o0 + k), a0, t);
                    t = TOps.Fma(Widen<TV, TOps, TW>(data, o1 + k), a1, t);
                    t = TOps.Fma(Widen<TV, TOps, TW>(data, o2 + k), a2, t);
                    t = TOps.Fma(Widen<TV, TOps, TW>(data, o3 + k), a3, t);
                    TOps.Store(acc + k, t);
                }
                TailFour<TW>(data, o0, o1, o2, o3, s0, s1, s2, s3, acc, k, c1);
            }
        }
        for (; i < n; i++)
        {
            int r = r0 + i;
            nint o = (nint)r * K;
            for (int c0 = 0; c0 < K; c0 += blk)
            {
                int c1 = Math.Min(K, c0 + blk), cs = c0, cv = cs + (c1 - cs) / V * V;
                float a = coef[i] * ScaleOf(w, fp8, r, c0);
                TV av = TOps.Broadcast(a);
                int k = cs;
                for (; k < cv; k += V) TOps.Store(acc + k, TOps.Fma(Widen<TV, TOps, TW>(data, o + k), av, TOps.Load(acc + k)));
                for (; k < c1; k++) acc[k] = MathF.FusedMultiplyAdd(TW.Load1(data, o + k), a, acc[k]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot<TV, TOps, TW>(in WeightView w, int r0, int n, float* v, float* output)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, V = TOps.Count, blk = BlockOf(w, fp8);
        byte* data = w.Data;
        for (int i = 0; i < n; i++)
        {
            int r = r0 + i;
            nint o = (nint)r * K;
            float total = 0;
            for (int c0 = 0; c0 < K; c0 += blk)
            {
                int c1 = Math.Min(K, c0 + blk), cv = c0 + (c1 - c0) / V * V;
                TV s0 = TOps.Zero, s1 = TOps.Zero;
                int k = c0;
                for (; k + 2 * V <= cv; k += 2 * V)
                {
                    s0 = TOps.Fma(Widen<TV, TOps, TW>(data, o + k), TOps.Load(v + k), s0);
                    s1 = TOps.Fma(Widen<TV, TOps, TW>(data, o + k + V), TOps.Load(v + k + V), s1);
                }
                for (; k < cv; k += V) s0 = TOps.Fma(Widen<TV, TOps, TW>(data, o + k), TOps.Load(v + k), s0);
                float part = TOps.Sum(s0) + TOps.Sum(s1);
                for (; k < c1; k++) part += TW.Load1(data, o + k) * v[k];
                total += part * ScaleOf(w, fp8, r, c0);
            }
            output[i] = total;
        }
    }
}
