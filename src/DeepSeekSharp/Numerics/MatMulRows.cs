using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// Decode and small-batch products (T = 1..16): y = x @ W^T for the weight rows [r0, r1), four rows in flight
/// per step, each weight row read from memory once for all T tokens (its column chunk stays in L1 while the
/// token pairs pass over it). Weights are read in groups that split into 2 (BF16) or 4 (FP8) vectors without a
/// shuffle (<see cref="IWeightLoad.Lanes"/>), into two accumulators per column chunk; the vector loops read x
/// permuted to match and, for FP8, scaled by 2^100 (xq, see <see cref="GroupX"/> and <see cref="IVecOps{TV}"/>), the
/// scalar tails the plain x (x and xq are the same pointer for F32). Each chunk's (FP8: block's) partial sum is
/// scaled and added to the row's total in column order. Scalar twin: <see cref="MatMulScalar"/>.
/// </summary>
internal static unsafe class MatMulRows
{
    /// <summary>Largest T this path is used for.</summary>
    public const int MaxT = 16;

    /// <summary>Columns per chunk for unscaled weights (F32/BF16): 4 rows x 1024 x 4 B = 16 KiB of L1.</summary>
    private const int Chunk = 1024;

    /// <summary>y (T, w.Rows) for rows [r0, r1) from x (T, w.Cols). r1 > r0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TOps, TW>(in WeightView w, float* x, float* y, int T, int r0, int r1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        float* xq = TW.Lanes == 1 ? x : GroupedX<TV, TOps, TW>(x, T, w.Cols, fp8 ? w.BlockCols : Chunk, fp8 ? Simd.Fp8XScale : 1f);
        if (T == 1 && w.Cols <= SequentialMaxCols) RunOneSequential<TV, TOps, TW>(w, x, xq, y, r0, r1);
        else if (T == 1) RunOne<TV, TOps, TW>(w, x, xq, y, r0, r1);
        else RunMany<TV, TOps, TW>(w, x, xq, y, T, r0, r1);
    }

    [ThreadStatic] private static float[]? t_groupedX;

    /// <summary>A column chunk's two accumulators (<see cref="IWeightLoad.Dot"/>) as one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Both<TV, TOps, TW>(TV a, TV b) where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
        => TW.Lanes == 1 ? a : TOps.Add(a, b);

    /// <summary>
    /// Decode products with at most this many columns read the weight one row after the other (<see cref="RunOneSequential"/>).
    /// Measured at 2 threads, cold weights: short rows (576-2048 columns) gain 15-150% over four rows in flight, whose
    /// four streams of 1-4 KiB each are too short for the hardware prefetcher; long rows (7168+) lose 30-45%, since
    /// there x (28+ KiB) no longer stays in L1 next to the streaming weight and is re-read once per weight vector.
    /// </summary>
    public const int SequentialMaxCols = 2048;

    /// <summary>
    /// How far ahead in the row (bytes) the FP8 sequential loop asks for cache lines. Its widening keeps the core busy,
    /// so the hardware prefetcher alone leaves misses exposed; measured at 2 threads (7168x2048, 1408x2048 FP8):
    /// 768-1024 B ahead +10-20% on both a quiet (60 GB/s) and a contended (35 GB/s) machine, 1536+ less, 2048 a loss.
    /// </summary>
    private const int PrefetchAhead = 1024;
    /// <summary>
    /// Decode (T = 1) of short rows: one row at a time, so each thread reads its rows as one sequential stream. The
    /// same operations in the same order per row as <see cref="RunOne{TV, TOps, TW}"/> and <see cref="RunMany{TV, TOps, TW}"/>
    /// (two accumulators per column chunk, chunk totals scaled and added in column order), so results are bit-identical;
    /// FP8 rows sum two 128-column blocks side by side so four FMA chains overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunOneSequential<TV, TOps, TW>(in WeightView w, float* x, float* xq, float* y, int r0, int r1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, G = TW.Lanes * TOps.Count;
        int chunk = fp8 ? w.BlockCols : Chunk;
        nint rowBytes = (nint)K * TW.Size;
        float so = fp8 ? Simd.Fp8OutScale : 1f;
        // Not for BF16/F32, whose 1024-column chunks lie 2-4 KiB apart: two such streams in one row measured 35% slower.
        bool side = fp8 && chunk % G == 0;
        for (int r = r0; r < r1; r++)
        {
            byte* p0 = w.Data + r * rowBytes;
            float* q0 = fp8 ? ScaleRow(w, r) : null;
            TV t0 = TOps.Zero;
            float e0 = 0;
            int cb = 0, c0 = 0;
            if (side)
                for (; c0 + 2 * chunk <= K; c0 += 2 * chunk, cb += 2)
                {
                    if (Sse.IsSupported)
                        for (nint b = 0; b < 2 * chunk; b += 64) Sse.Prefetch0(p0 + c0 + b + PrefetchAhead);
                    TV a0 = TOps.Zero, b0 = TOps.Zero, a1 = TOps.Zero, b1 = TOps.Zero;
                    for (nint k = c0; k < c0 + chunk; k += G)
                    {
                        TW.Dot<TV, TOps>(p0, k, xq, ref a0, ref b0);
                        TW.Dot<TV, TOps>(p0, k + chunk, xq, ref a1, ref b1);
                    }
                    t0 = TOps.Fma(Both<TV, TOps, TW>(a0, b0), TOps.Broadcast(q0[cb] * so), t0);
                    t0 = TOps.Fma(Both<TV, TOps, TW>(a1, b1), TOps.Broadcast(q0[cb + 1] * so), t0);
                }
            for (; c0 < K; c0 += chunk, cb++)
            {
                int c1 = Math.Min(K, c0 + chunk);
                int cg = c0 + (c1 - c0) / G * G;
                float s0 = fp8 ? q0[cb] : 1;
                TV a0 = TOps.Zero, b0 = TOps.Zero;
                for (nint k = c0; k < cg; k += G) TW.Dot<TV, TOps>(p0, k, xq, ref a0, ref b0);
                t0 = TOps.Fma(Both<TV, TOps, TW>(a0, b0), TOps.Broadcast(s0 * so), t0);
                if (cg < c1)
                {
                    float f0 = 0;
                    for (nint k = cg; k < c1; k++) f0 += TW.Load1(p0, k) * x[k];
                    e0 += f0 * s0;
                }
            }
            y[r] = TOps.Sum(t0) + e0;
        }
    }

    /// <summary>The FP8 block scales (ScaleCols) of the block row that weight row r lies in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* ScaleRow(in WeightView w, int r) => w.ScaleInv + (nint)(r / w.BlockRows) * w.ScaleCols;

    /// <summary>
    /// Prefetches bytes [b0, b1) of four consecutive rows starting at p (row stride rowBytes), one request per cache
    /// line. FP8 rows of a few KiB are short streams for the hardware prefetcher; asking for the next row group's
    /// block (two lines per row for 128-column blocks) while the current one is summed keeps more DRAM requests in flight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(byte* p, nint rowBytes, nint b0, nint b1)
    {
        for (nint b = b0 & ~(nint)63; b < b1; b += 64)
        {
            Sse.Prefetch0(p + b);
            Sse.Prefetch0(p + rowBytes + b);
            Sse.Prefetch0(p + 2 * rowBytes + b);
            Sse.Prefetch0(p + 3 * rowBytes + b);
        }
    }

    /// <summary>
    /// x (T, cols) permuted for the decode groups (<see cref="GroupX"/>) and, for FP8 rows, scaled by 2^100
    /// (<see cref="Simd.Fp8XScale"/>, exact); computed once per call rather than once per four rows: (T, cols) in a
    /// pinned per-thread buffer that only grows (no allocation in steady state).
    /// </summary>
    private static float* GroupedX<TV, TOps, TW>(float* x, int T, int cols, int chunk, float scale)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        int n = T * cols;
        var buf = t_groupedX;
        if (buf is null || buf.Length < n + 16) t_groupedX = buf = GC.AllocateUninitializedArray<float>(Math.Max(n + 16, 4096), pinned: true);
        // 64-byte aligned, so no vector load of x splits a cache line.
        float* xs = (float*)(((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf)) + 63) & ~(nint)63);
        GroupX.Permute(x, xs, n, cols, chunk, TW.Lanes, TOps.Count, scale);
        return xs;
    }

    /// <summary>
    /// Decode (T = 1): the four rows' running totals stay in registers and each row's scale row is found once
    /// (no division per column block). Same operations in the same order as <see cref="RunMany{TV, TOps, TW}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunOne<TV, TOps, TW>(in WeightView w, float* x, float* xq, float* y, int r0, int r1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, G = TW.Lanes * TOps.Count;
        int chunk = fp8 ? w.BlockCols : Chunk;
        nint rowBytes = (nint)K * TW.Size;
        float so = fp8 ? Simd.Fp8OutScale : 1f; // undoes the 2^-120 of the widening and the 2^100 on x

        for (int r = r0; r < r1; r += 4)
        {
            // Rows past r1 repeat the last row (computed, not stored).
            int ra = r, rb = Math.Min(r + 1, r1 - 1), rc = Math.Min(r + 2, r1 - 1), rd = Math.Min(r + 3, r1 - 1);
            byte* p0 = w.Data + ra * rowBytes, p1 = w.Data + rb * rowBytes, p2 = w.Data + rc * rowBytes, p3 = w.Data + rd * rowBytes;
            float* q0 = null, q1 = null, q2 = null, q3 = null; // (ScaleCols) scale row of each weight row
            if (fp8) { q0 = ScaleRow(w, ra); q1 = ScaleRow(w, rb); q2 = ScaleRow(w, rc); q3 = ScaleRow(w, rd); }
            TV t0 = TOps.Zero, t1 = TOps.Zero, t2 = TOps.Zero, t3 = TOps.Zero;
            float e0 = 0, e1 = 0, e2 = 0, e3 = 0; // sums of the columns past the last full vector of each block
            // FP8 only (measured: +15-35% on FP8 rows, a loss on BF16, whose 2 KiB-per-row chunks make bursts of requests):
            // when the next four rows exist, fetch their block while this one is summed.
            bool ahead = fp8 && Sse.IsSupported && r + 8 <= r1;

            int cb = 0;
            for (int c0 = 0; c0 < K; c0 += chunk, cb++)
            {
                int c1 = Math.Min(K, c0 + chunk);
                int cg = c0 + (c1 - c0) / G * G;
                float s0 = 1, s1 = 1, s2 = 1, s3 = 1;
                if (fp8) { s0 = q0[cb]; s1 = q1[cb]; s2 = q2[cb]; s3 = q3[cb]; }
                if (ahead) Prefetch(p0 + 4 * rowBytes, rowBytes, c0 * TW.Size, c1 * TW.Size);
                TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
                TV b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero;
                for (nint k = c0; k < cg; k += G)
                {
                    TW.Dot<TV, TOps>(p0, k, xq, ref a0, ref b0);
                    TW.Dot<TV, TOps>(p1, k, xq, ref a1, ref b1);
                    TW.Dot<TV, TOps>(p2, k, xq, ref a2, ref b2);
                    TW.Dot<TV, TOps>(p3, k, xq, ref a3, ref b3);
                }
                t0 = TOps.Fma(Both<TV, TOps, TW>(a0, b0), TOps.Broadcast(s0 * so), t0);
                t1 = TOps.Fma(Both<TV, TOps, TW>(a1, b1), TOps.Broadcast(s1 * so), t1);
                t2 = TOps.Fma(Both<TV, TOps, TW>(a2, b2), TOps.Broadcast(s2 * so), t2);
                t3 = TOps.Fma(Both<TV, TOps, TW>(a3, b3), TOps.Broadcast(s3 * so), t3);
                if (cg < c1)
                {
                    float f0 = 0, f1 = 0, f2 = 0, f3 = 0;
                    for (nint k = cg; k < c1; k++)
                    {
                        float xv = x[k];
                        f0 += TW.Load1(p0, k) * xv;
                        f1 += TW.Load1(p1, k) * xv;
                        f2 += TW.Load1(p2, k) * xv;
                        f3 += TW.Load1(p3, k) * xv;
                    }
                    e0 += f0 * s0; e1 += f1 * s1; e2 += f2 * s2; e3 += f3 * s3;
                }
            }

            y[ra] = TOps.Sum(t0) + e0;
            if (r + 1 < r1) y[r + 1] = TOps.Sum(t1) + e1;
            if (r + 2 < r1) y[r + 2] = TOps.Sum(t2) + e2;
            if (r + 3 < r1) y[r + 3] = TOps.Sum(t3) + e3;
        }
    }

    /// <summary>Small batches (T = 2..16): token pairs pass over each column chunk of four rows while it is in L1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunMany<TV, TOps, TW>(in WeightView w, float* x, float* xq, float* y, int T, int r0, int r1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, N = w.Rows, G = TW.Lanes * TOps.Count;
        int chunk = fp8 ? w.BlockCols : Chunk;
        nint rowBytes = (nint)K * TW.Size;
        TV* tot = stackalloc TV[4 * T];        // (4 rows, T) vector partial sums
        float* tail = stackalloc float[4 * T]; // (4 rows, T) sums of the columns past the last full vector
        float so = fp8 ? Simd.Fp8OutScale : 1f; // undoes the 2^-120 of the widening and the 2^100 on x

        for (int r = r0; r < r1; r += 4)
        {
            // Rows past r1 repeat the last row (computed, not stored).
            int ra = r, rb = Math.Min(r + 1, r1 - 1), rc = Math.Min(r + 2, r1 - 1), rd = Math.Min(r + 3, r1 - 1);
            byte* p0 = w.Data + ra * rowBytes, p1 = w.Data + rb * rowBytes, p2 = w.Data + rc * rowBytes, p3 = w.Data + rd * rowBytes;
            float* q0 = null, q1 = null, q2 = null, q3 = null; // (ScaleCols) scale row of each weight row
            if (fp8) { q0 = ScaleRow(w, ra); q1 = ScaleRow(w, rb); q2 = ScaleRow(w, rc); q3 = ScaleRow(w, rd); }
            for (int i = 0; i < 4 * T; i++) { tot[i] = TOps.Zero; tail[i] = 0; }

            int cb = 0;
            for (int c0 = 0; c0 < K; c0 += chunk, cb++)
            {
                int c1 = Math.Min(K, c0 + chunk);
                int cg = c0 + (c1 - c0) / G * G;
                float s0 = 1, s1 = 1, s2 = 1, s3 = 1;
                if (fp8) { s0 = q0[cb]; s1 = q1[cb]; s2 = q2[cb]; s3 = q3[cb]; }
                TV v0s = TOps.Broadcast(s0 * so), v1s = TOps.Broadcast(s1 * so), v2s = TOps.Broadcast(s2 * so), v3s = TOps.Broadcast(s3 * so);

                int t = 0;
                for (; t + 2 <= T; t += 2)
                {
                    float* xa = xq + (nint)t * K, xb = xa + K;
                    TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero; // (4 rows) token t, lanes 0 and 2
                    TV b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero; // (4 rows) token t, lanes 1 and 3
                    TV c0v = TOps.Zero, c1v = TOps.Zero, c2v = TOps.Zero, c3v = TOps.Zero; // token t + 1, lanes 0 and 2
                    TV d0 = TOps.Zero, d1 = TOps.Zero, d2 = TOps.Zero, d3 = TOps.Zero;     // token t + 1, lanes 1 and 3
                    for (nint k = c0; k < cg; k += G)
                    {
                        TW.Dot2<TV, TOps>(p0, k, xa, xb, ref a0, ref b0, ref c0v, ref d0);
                        TW.Dot2<TV, TOps>(p1, k, xa, xb, ref a1, ref b1, ref c1v, ref d1);
                        TW.Dot2<TV, TOps>(p2, k, xa, xb, ref a2, ref b2, ref c2v, ref d2);
                        TW.Dot2<TV, TOps>(p3, k, xa, xb, ref a3, ref b3, ref c3v, ref d3);
                    }
                    tot[t] = TOps.Fma(Both<TV, TOps, TW>(a0, b0), v0s, tot[t]); tot[t + 1] = TOps.Fma(Both<TV, TOps, TW>(c0v, d0), v0s, tot[t + 1]);
                    tot[T + t] = TOps.Fma(Both<TV, TOps, TW>(a1, b1), v1s, tot[T + t]); tot[T + t + 1] = TOps.Fma(Both<TV, TOps, TW>(c1v, d1), v1s, tot[T + t + 1]);
                    tot[2 * T + t] = TOps.Fma(Both<TV, TOps, TW>(a2, b2), v2s, tot[2 * T + t]); tot[2 * T + t + 1] = TOps.Fma(Both<TV, TOps, TW>(c2v, d2), v2s, tot[2 * T + t + 1]);
                    tot[3 * T + t] = TOps.Fma(Both<TV, TOps, TW>(a3, b3), v3s, tot[3 * T + t]); tot[3 * T + t + 1] = TOps.Fma(Both<TV, TOps, TW>(c3v, d3), v3s, tot[3 * T + t + 1]);
                }
                if (t < T)
                {
                    float* xa = xq + (nint)t * K;
                    TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
                    TV b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero;
                    for (nint k = c0; k < cg; k += G)
                    {
                        TW.Dot<TV, TOps>(p0, k, xa, ref a0, ref b0);
                        TW.Dot<TV, TOps>(p1, k, xa, ref a1, ref b1);
                        TW.Dot<TV, TOps>(p2, k, xa, ref a2, ref b2);
                        TW.Dot<TV, TOps>(p3, k, xa, ref a3, ref b3);
                    }
                    tot[t] = TOps.Fma(Both<TV, TOps, TW>(a0, b0), v0s, tot[t]);
                    tot[T + t] = TOps.Fma(Both<TV, TOps, TW>(a1, b1), v1s, tot[T + t]);
                    tot[2 * T + t] = TOps.Fma(Both<TV, TOps, TW>(a2, b2), v2s, tot[2 * T + t]);
                    tot[3 * T + t] = TOps.Fma(Both<TV, TOps, TW>(a3, b3), v3s, tot[3 * T + t]);
                }
                if (cg < c1)
                {
                    for (int tt = 0; tt < T; tt++)
                    {
                        float* xr = x + (nint)tt * K;
                        float f0 = 0, f1 = 0, f2 = 0, f3 = 0;
                        for (nint k = cg; k < c1; k++)
                        {
                            float xv = xr[k];
                            f0 += TW.Load1(p0, k) * xv;
                            f1 += TW.Load1(p1, k) * xv;
                            f2 += TW.Load1(p2, k) * xv;
                            f3 += TW.Load1(p3, k) * xv;
                        }
                        tail[tt] += f0 * s0;
                        tail[T + tt] += f1 * s1;
                        tail[2 * T + tt] += f2 * s2;
                        tail[3 * T + tt] += f3 * s3;
                    }
                }
            }

            int rows = Math.Min(4, r1 - r);
            for (int i = 0; i < rows; i++)
                for (int tt = 0; tt < T; tt++)
                    y[(nint)tt * N + r + i] = TOps.Sum(tot[i * T + tt]) + tail[i * T + tt];
        }
    }
}
