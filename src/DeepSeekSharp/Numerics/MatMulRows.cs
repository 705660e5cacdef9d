using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// Decode and small-batch products (T = 1..16): y = x @ W^T for the weight rows [r0, r1), each weight row read from
/// memory once for all T tokens. Weights are read in groups of four vectors, split from whole-vector loads without a
/// shuffle (<see cref="IWeightLoad.Lanes"/>: FP8 by byte position, BF16 into even and odd elements), each lane into
/// its own accumulator, which runs over the whole row in column order; the vector loops read x permuted to match
/// (<see cref="GroupX"/>). FP8 block scales are folded into x: each
/// 128-row block of weights reads x * 2^100 * its column blocks' scales (<see cref="ScaledX"/>), so the row loops are
/// plain multiply-adds and the row total is scaled by 2^20 once (<see cref="IVecOps{TV}"/> on the 2^120 rebias).
/// Columns past the last full group of a column chunk (FP8: block) are summed by scalar tails from the plain x, scaled
/// per chunk. The three kernels (rows one after the other, four rows in flight, token pairs) do the same operations in
/// the same order per row, so a token's products do not depend on the batch it is in. Scalar twin: <see cref="MatMulScalar"/>.
/// </summary>
internal static unsafe class MatMulRows
{
    /// <summary>Largest T this path is used for.</summary>
    public const int MaxT = 16;

    /// <summary>Columns per chunk for unscaled weights (F32/BF16): 4 rows x 1024 x 4 B = 16 KiB of L1.</summary>
    private const int Chunk = 1024;

    /// <summary>
    /// FP8 decode products with at most this many columns read the weight one row (pair) at a time
    /// (<see cref="RunOneSequential"/>). Measured at 2 threads, cold weights: short rows (576-2048 columns) gain
    /// 15-150% over four rows in flight, whose four streams of 1-4 KiB each are too short for the hardware prefetcher;
    /// longer FP8 rows do better four at a time with the next group's blocks prefetched into L2 (2048x2816: 93% of the
    /// probed bandwidth against 89% one row at a time; 2048x7168 and 2048x11264: 93-94% against 75-76%).
    /// </summary>
    public const int SequentialMaxCols = 2048;

    /// <summary>
    /// <see cref="SequentialMaxCols"/> for BF16 and F32 rows, whose four-rows path has no software prefetch: measured on
    /// a quiet machine (60-64 GB/s probed), 2048x2816 BF16 83% one row at a time against 52% four at a time, while
    /// 2048x11264 lost (43% against 68%: x of 44 KiB no longer stays in L1 next to the streaming row).
    /// </summary>
    public const int SequentialMaxColsWide = 4096;

    /// <summary>
    /// How far ahead in the row (bytes) the FP8 sequential loop asks for cache lines into L1. Its widening keeps the core busy,
    /// so the hardware prefetcher alone leaves misses exposed; measured at 2 threads (7168x2048, 1408x2048 FP8):
    /// 768-1024 B ahead +10-20% on both a quiet (60 GB/s) and a contended (35 GB/s) machine, 1536+ less, 2048 a loss.
    /// </summary>
    private const int PrefetchAhead = 1024;
    /// <summary>
    /// A second, far prefetch of the FP8 sequential loop, into L2: 8 KiB ahead (four rows of 2048 columns) keeps
    /// enough DRAM requests in flight for a core that is busy widening. Measured in alternating rounds at 2 threads
    /// against the bandwidth probed before each: 7168x2048 FP8 60-65% -> 69-81%, 1408x2048 75-84% -> 91-97%; the same
    /// for BF16 rows (lighter work per byte) was no better (93-97% against 97-99%) and is not used.
    /// </summary>
    private const int FarAhead = 8192;

    /// <summary>y (T, w.Rows) for rows [r0, r1) from x (T, w.Cols). r1 > r0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TOps, TW>(in WeightView w, float* x, float* y, int T, int r0, int r1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int chunk = fp8 ? w.BlockCols : Chunk;
        // F32 groups are consecutive vectors: its x needs no permutation.
        float* xg = typeof(TW) == typeof(F32Load) ? x : GroupedX<TV, TOps, TW>(x, T, w.Cols, chunk, fp8 ? Simd.Fp8XScale : 1f);
        var xs = new ScaledX(w, xg, T, fp8);
        if (T == 1 && w.Cols <= (fp8 ? SequentialMaxCols : SequentialMaxColsWide)) RunOneSequential<TV, TOps, TW>(w, x, ref xs, y, r0, r1);
        else if (T == 1) RunOne<TV, TOps, TW>(w, x, ref xs, y, r0, r1);
        else RunMany<TV, TOps, TW>(w, x, ref xs, y, T, r0, r1);
    }

    [ThreadStatic] private static float[]? t_groupedX;
    [ThreadStatic] private static float[]? t_scaledX;

    /// <summary>Columns [c0, c1) of a chunk: full groups end at the returned column, the rest is a scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GroupEnd(int c0, int c1, int G) => c0 + (c1 - c0) / G * G;

    /// <summary>A row's result from its accumulators (one per lane) and its scalar tails.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Total<TV, TOps>(TV a, TV b, TV c, TV d, float tail, float so) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => TOps.Sum(TOps.Add(TOps.Add(a, b), TOps.Add(c, d))) * so + tail;

    /// <summary>
    /// Decode (T = 1) of short rows: each thread reads its rows as one sequential stream, two rows at a time (rows of
    /// one FP8 row block share x, whose loads the pair shares: 28.8 -> 30.0 GB/s on one core from L3 for 7168x2048;
    /// a row left over alone; BF16 and F32 rows one at a time). The per-row operations are
    /// those of every kernel here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunOneSequential<TV, TOps, TW>(in WeightView w, float* x, ref ScaledX xs, float* y, int r0, int r1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, G = TW.Lanes * TOps.Count;
        int chunk = fp8 ? w.BlockCols : Chunk;
        nint rowBytes = (nint)K * TW.Size;
        float so = fp8 ? Simd.Fp8OutScale : 1f;
        // The columns that whole groups cover without a tail: [0, flat) in one loop when chunks hold whole groups.
        int flat = chunk % G == 0 ? K / chunk * chunk : 0;
        float* q0 = null, xr = null; // the current row block's scales and x
        int blockEnd = -1;           // first row past the current row block
        var far = new FarPrefetch(w.Data + r0 * rowBytes, w.Data + w.Rows * rowBytes); // from the first line: a short product is mostly ramp
        for (int r = r0; r < r1;)
        {
            if (r >= blockEnd)
            {
                q0 = fp8 ? ScaleRow(w, r) : null;
                xr = xs.ForOne<TV, TOps>(q0);
                blockEnd = fp8 ? (r / w.BlockRows + 1) * w.BlockRows : int.MaxValue;
            }
            byte* p0 = w.Data + r * rowBytes;
            if (!fp8 || r + 1 >= r1 || r + 1 >= blockEnd) // BF16/F32 pairs measured 2x slower from DRAM (two streams, no software prefetch)
            {
                SequentialRow<TV, TOps, TW>(w, x, xr, p0, q0, flat, so, y + r, ref far);
                r++;
                continue;
            }
            byte* p1 = p0 + rowBytes;
            TV a0 = TOps.Zero, b0 = TOps.Zero, c0 = TOps.Zero, d0 = TOps.Zero;
            TV a1 = TOps.Zero, b1 = TOps.Zero, c1 = TOps.Zero, d1 = TOps.Zero;
            nint k = 0;
            // Four groups per iteration (256 bytes of FP8 or BF16 per row at 512 bits); the same groups in the same
            // order as one at a time.
            for (; k + 4 * G <= flat; k += 4 * G)
            {
                if (fp8 && Sse.IsSupported)
                {
                    for (nint b = 0; b < 4 * G; b += 64)
                    {
                        Sse.Prefetch0(p0 + k + b + PrefetchAhead);
                        Sse.Prefetch0(p1 + k + b + PrefetchAhead);
                    }
                    far.To(p0 + 2 * (k + 4 * G) + FarAhead); // the pair's bytes counted as one run from p0
                }
                GroupFma.Rows2<TV, TOps, TW>(p0, p1, k, xr, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1);
                GroupFma.Rows2<TV, TOps, TW>(p0, p1, k + G, xr, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1);
                GroupFma.Rows2<TV, TOps, TW>(p0, p1, k + 2 * G, xr, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1);
                GroupFma.Rows2<TV, TOps, TW>(p0, p1, k + 3 * G, xr, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1);
            }
            for (; k < flat; k += G)
                GroupFma.Rows2<TV, TOps, TW>(p0, p1, k, xr, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1);
            float e0 = 0, e1 = 0;
            if (flat < K)
            {
                RowRest<TV, TOps, TW>(w, x, xr, p0, q0, flat, ref a0, ref b0, ref c0, ref d0, ref e0);
                RowRest<TV, TOps, TW>(w, x, xr, p1, q0, flat, ref a1, ref b1, ref c1, ref d1, ref e1);
            }
            y[r] = Total<TV, TOps>(a0, b0, c0, d0, e0, so);
            y[r + 1] = Total<TV, TOps>(a1, b1, c1, d1, e1, so);
            r += 2;
        }
    }

    /// <summary>One row of <see cref="RunOneSequential"/> alone: the same groups in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SequentialRow<TV, TOps, TW>(in WeightView w, float* x, float* xr, byte* p0, float* q0, int flat, float so, float* y,
        ref FarPrefetch far)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int G = TW.Lanes * TOps.Count;
        TV a = TOps.Zero, b = TOps.Zero, c = TOps.Zero, d = TOps.Zero;
        nint k = 0;
        for (; k + 4 * G <= flat; k += 4 * G)
        {
            if (fp8 && Sse.IsSupported)
            {
                for (nint b0 = 0; b0 < 4 * G; b0 += 64) Sse.Prefetch0(p0 + k + b0 + PrefetchAhead);
                far.To(p0 + k + 4 * G + FarAhead);
            }
            GroupFma.Dot<TV, TOps, TW>(p0, k, xr, ref a, ref b, ref c, ref d);
            GroupFma.Dot<TV, TOps, TW>(p0, k + G, xr, ref a, ref b, ref c, ref d);
            GroupFma.Dot<TV, TOps, TW>(p0, k + 2 * G, xr, ref a, ref b, ref c, ref d);
            GroupFma.Dot<TV, TOps, TW>(p0, k + 3 * G, xr, ref a, ref b, ref c, ref d);
        }
        for (; k < flat; k += G) GroupFma.Dot<TV, TOps, TW>(p0, k, xr, ref a, ref b, ref c, ref d);
        float e = 0;
        if (flat < w.Cols) RowRest<TV, TOps, TW>(w, x, xr, p0, q0, flat, ref a, ref b, ref c, ref d, ref e);
        *y = Total<TV, TOps>(a, b, c, d, e, so);
    }

    /// <summary>
    /// The far (L2) prefetch of the sequential FP8 loops: a cursor that walks the weight's bytes line by line, kept
    /// <see cref="FarAhead"/> ahead of the bytes being read, so every line is asked for once. Asking a fixed distance
    /// ahead of each row's column instead left the lines past a row's last four-group step unasked (two of 22 per row
    /// of 1408 columns, one of nine of 576). Measured on one core from DRAM against the probe: 2048x1408 55% -> 80%,
    /// 7168x576 46% -> 71%, 128x1408 55% -> 69%, 2048- and 7168-column rows unchanged.
    /// </summary>
    private struct FarPrefetch(byte* next, byte* end)
    {
        private byte* _next = next;
        private readonly byte* _end = end;

        /// <summary>Asks for every line before target not asked for yet (none past the weight's end).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void To(byte* target)
        {
            if (target > _end) target = _end;
            for (; _next < target; _next += 64) Sse.Prefetch1(_next);
        }
    }

    /// <summary>Columns [start, K) of one row chunk by chunk: full groups into (a, b, c, d), the rest into the scaled tail e.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // inlined, so the callers' accumulators stay in registers
    private static void RowRest<TV, TOps, TW>(in WeightView w, float* x, float* xr, byte* p0, float* q0, int start,
        ref TV a, ref TV b, ref TV c, ref TV d, ref float e) where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, G = TW.Lanes * TOps.Count;
        int chunk = fp8 ? w.BlockCols : Chunk;
        for (int c0 = start; c0 < K; c0 += chunk)
        {
            int c1 = Math.Min(K, c0 + chunk), cg = GroupEnd(c0, c1, G);
            for (nint k = c0; k < cg; k += G) GroupFma.Dot<TV, TOps, TW>(p0, k, xr, ref a, ref b, ref c, ref d);
            if (cg < c1)
            {
                float f = 0;
                for (nint k = cg; k < c1; k++) f += TW.Load1(p0, k) * x[k];
                e += f * (fp8 ? q0[c0 / chunk] : 1);
            }
        }
    }

    /// <summary>The FP8 block scales (ScaleCols) of the block row that weight row r lies in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* ScaleRow(in WeightView w, int r) => w.ScaleInv + (nint)(r / w.BlockRows) * w.ScaleCols;

    /// <summary>
    /// Prefetches bytes [b0, b1) of four consecutive rows starting at p (row stride rowBytes) into L2, one request per
    /// cache line. Asking for the next row group's block (two lines per row for 128-column FP8 blocks) while the current
    /// one is summed keeps more DRAM requests in flight. Into L2 rather than L1: the next group's blocks of a long row
    /// (four rows of 7-11 KiB) crowded the L1 that the current ones stream through (measured 2048x7168 FP8, contended
    /// machine: 76% of the probed bandwidth with L1, 93% with L2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(byte* p, nint rowBytes, nint b0, nint b1)
    {
        for (nint b = b0 & ~(nint)63; b < b1; b += 64)
        {
            Sse.Prefetch1(p + b);
            Sse.Prefetch1(p + rowBytes + b);
            Sse.Prefetch1(p + 2 * rowBytes + b);
            Sse.Prefetch1(p + 3 * rowBytes + b);
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
        float* xs = Aligned(ref t_groupedX, n);
        GroupX.Permute(x, xs, n, cols, chunk, TW.Interleave, TOps.Count, scale);
        return xs;
    }

    /// <summary>A 64-byte aligned view of at least n floats of a pinned per-thread buffer that only grows.</summary>
    private static float* Aligned(ref float[]? buf, int n)
    {
        if (buf is null || buf.Length < n + 16) buf = GC.AllocateUninitializedArray<float>(Math.Max(n + 16, 4096), pinned: true);
        // 64-byte aligned, so no vector load of x splits a cache line.
        return (float*)(((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf)) + 63) & ~(nint)63);
    }

    /// <summary>
    /// The x that a row block's FP8 rows read: the grouped x (T, K) times the block's column-block scales, exact
    /// powers of two aside one rounding per element (x 2^100 s). Made on first use in a call, for up to four row
    /// blocks at once (a four-row group can straddle four blocks when blocks are shorter than four rows); for other
    /// dtypes it is the grouped x itself.
    /// </summary>
    private struct ScaledX
    {
        private readonly float* _xg, _bufs;
        private readonly int _n, _stride, _K, _T, _BC, _scaleCols; // _stride: floats per slot, a multiple of 16 (64 bytes)
        private readonly bool _fp8;
        private fixed long _keys[4]; // scale row (float*) of the block each slot holds
        private int _next;

        public ScaledX(in WeightView w, float* xg, int T, bool fp8)
        {
            _xg = xg;
            _fp8 = fp8;
            _K = w.Cols;
            _T = T;
            _n = T * w.Cols;
            _BC = w.BlockCols;
            _scaleCols = fp8 ? w.ScaleCols : 0;
            _stride = (_n + 15) & ~15;
            _bufs = fp8 ? Aligned(ref t_scaledX, 4 * _stride) : null;
        }

        /// <summary>x for the rows whose block scales are scaleRow (null: not FP8).</summary>
        public float* For<TV, TOps>(float* scaleRow) where TV : unmanaged where TOps : struct, IVecOps<TV>
        {
            if (!_fp8) return _xg;
            for (int i = 0; i < 4; i++)
                if (_keys[i] == (long)scaleRow) return _bufs + i * _stride;
            int slot = _next;
            _next = (_next + 1) & 3;
            return Fill<TV, TOps>(slot, scaleRow);
        }

        /// <summary>
        /// <see cref="For"/> for kernels that need one row block at a time: always the first slot, so one buffer stays
        /// in L1 next to the streaming weights instead of four taking turns.
        /// </summary>
        public float* ForOne<TV, TOps>(float* scaleRow) where TV : unmanaged where TOps : struct, IVecOps<TV>
        {
            if (!_fp8) return _xg;
            if (_keys[0] == (long)scaleRow) return _bufs;
            for (int i = 1; i < 4; i++) _keys[i] = 0;
            return Fill<TV, TOps>(0, scaleRow);
        }

        private float* Fill<TV, TOps>(int slot, float* scaleRow) where TV : unmanaged where TOps : struct, IVecOps<TV>
        {
            _keys[slot] = (long)scaleRow;
            float* dst = _bufs + slot * _stride;
            for (int t = 0; t < _T; t++)
                for (int cb = 0; cb < _scaleCols; cb++)
                {
                    int c0 = cb * _BC, c1 = Math.Min(_K, c0 + _BC), k = c0;
                    TV s = TOps.Broadcast(scaleRow[cb]);
                    float* src = _xg + (nint)t * _K, d = dst + (nint)t * _K;
                    for (; k + TOps.Count <= c1; k += TOps.Count) TOps.Store(d + k, TOps.Mul(TOps.Load(src + k), s));
                    for (; k < c1; k++) d[k] = src[k] * scaleRow[cb];
                }
            return dst;
        }
    }

    /// <summary>
    /// Decode (T = 1) of long rows: four rows in flight, their accumulators in registers across the column chunks
    /// (x's chunk stays in L1 while the four rows pass over it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunOne<TV, TOps, TW>(in WeightView w, float* x, ref ScaledX xs, float* y, int r0, int r1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, G = TW.Lanes * TOps.Count;
        int chunk = fp8 ? w.BlockCols : Chunk;
        nint rowBytes = (nint)K * TW.Size;
        float so = fp8 ? Simd.Fp8OutScale : 1f;

        for (int r = r0; r < r1; r += 4)
        {
            // Rows past r1 repeat the last row (computed, not stored).
            int ra = r, rb = Math.Min(r + 1, r1 - 1), rc = Math.Min(r + 2, r1 - 1), rd = Math.Min(r + 3, r1 - 1);
            byte* p0 = w.Data + ra * rowBytes, p1 = w.Data + rb * rowBytes, p2 = w.Data + rc * rowBytes, p3 = w.Data + rd * rowBytes;
            float* q0 = null, q1 = null, q2 = null, q3 = null; // (ScaleCols) scale row of each weight row
            if (fp8) { q0 = ScaleRow(w, ra); q1 = ScaleRow(w, rb); q2 = ScaleRow(w, rc); q3 = ScaleRow(w, rd); }
            float* x0 = xs.For<TV, TOps>(q0), x1 = xs.For<TV, TOps>(q1), x2 = xs.For<TV, TOps>(q2), x3 = xs.For<TV, TOps>(q3);
            bool shared = x0 == x1 && x0 == x2 && x0 == x3; // four rows of one FP8 row block (always for other dtypes): x loaded once
            TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero; // (4 rows) lane 0 accumulators
            TV b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero; // lane 1
            TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero; // lane 2 (FP8)
            TV d0 = TOps.Zero, d1 = TOps.Zero, d2 = TOps.Zero, d3 = TOps.Zero; // lane 3 (FP8)
            float e0 = 0, e1 = 0, e2 = 0, e3 = 0; // scaled sums of the columns past each chunk's last full group
            // FP8 only (measured: +15-35% on FP8 rows, a loss on BF16, whose 2 KiB-per-row chunks make bursts of requests;
            // 2048x11264 BF16 on a quiet machine 68% of the probe without, 53% with):
            // when the next four rows exist, fetch their block while this one is summed.
            bool ahead = fp8 && Sse.IsSupported && r + 8 <= r1;

            int cb = 0;
            for (int k0 = 0; k0 < K; k0 += chunk, cb++)
            {
                int k1 = Math.Min(K, k0 + chunk), cg = GroupEnd(k0, k1, G);
                if (ahead) Prefetch(p0 + 4 * rowBytes, rowBytes, k0 * TW.Size, k1 * TW.Size);
                if (shared)
                    for (nint k = k0; k < cg; k += G)
                        GroupFma.Rows4<TV, TOps, TW>(p0, p1, p2, p3, k, x0, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1,
                            ref a2, ref b2, ref c2, ref d2, ref a3, ref b3, ref c3, ref d3);
                else
                    for (nint k = k0; k < cg; k += G)
                    {
                        GroupFma.Dot<TV, TOps, TW>(p0, k, x0, ref a0, ref b0, ref c0, ref d0);
                        GroupFma.Dot<TV, TOps, TW>(p1, k, x1, ref a1, ref b1, ref c1, ref d1);
                        GroupFma.Dot<TV, TOps, TW>(p2, k, x2, ref a2, ref b2, ref c2, ref d2);
                        GroupFma.Dot<TV, TOps, TW>(p3, k, x3, ref a3, ref b3, ref c3, ref d3);
                    }
                if (cg < k1)
                {
                    float f0 = 0, f1 = 0, f2 = 0, f3 = 0;
                    for (nint k = cg; k < k1; k++)
                    {
                        float xv = x[k];
                        f0 += TW.Load1(p0, k) * xv;
                        f1 += TW.Load1(p1, k) * xv;
                        f2 += TW.Load1(p2, k) * xv;
                        f3 += TW.Load1(p3, k) * xv;
                    }
                    if (fp8) { e0 += f0 * q0[cb]; e1 += f1 * q1[cb]; e2 += f2 * q2[cb]; e3 += f3 * q3[cb]; }
                    else { e0 += f0; e1 += f1; e2 += f2; e3 += f3; }
                }
            }

            y[ra] = Total<TV, TOps>(a0, b0, c0, d0, e0, so);
            if (r + 1 < r1) y[r + 1] = Total<TV, TOps>(a1, b1, c1, d1, e1, so);
            if (r + 2 < r1) y[r + 2] = Total<TV, TOps>(a2, b2, c2, d2, e2, so);
            if (r + 3 < r1) y[r + 3] = Total<TV, TOps>(a3, b3, c3, d3, e3, so);
        }
    }

    /// <summary>
    /// Small batches (T = 2..16): token pairs pass over each column chunk of two rows while it is in L1 (each weight
    /// group widened once for both tokens); each (row, token)'s accumulators are kept in tot between chunks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunMany<TV, TOps, TW>(in WeightView w, float* x, ref ScaledX xs, float* y, int T, int r0, int r1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int K = w.Cols, N = w.Rows, G = TW.Lanes * TOps.Count;
        int chunk = fp8 ? w.BlockCols : Chunk;
        nint rowBytes = (nint)K * TW.Size;
        TV* tot = stackalloc TV[8 * T];        // (2 rows, T, 4) the lane accumulators of each row and token
        float* tail = stackalloc float[2 * T]; // (2 rows, T) scaled sums of the columns past each chunk's last full group
        float so = fp8 ? Simd.Fp8OutScale : 1f;

        for (int r = r0; r < r1; r += 2)
        {
            int ra = r, rb = Math.Min(r + 1, r1 - 1); // a row past r1 repeats the last row (computed, not stored)
            byte* p0 = w.Data + ra * rowBytes, p1 = w.Data + rb * rowBytes;
            float* q0 = fp8 ? ScaleRow(w, ra) : null, q1 = fp8 ? ScaleRow(w, rb) : null;
            float* x0 = xs.For<TV, TOps>(q0), x1 = xs.For<TV, TOps>(q1);
            for (int i = 0; i < 8 * T; i++) tot[i] = TOps.Zero;
            for (int i = 0; i < 2 * T; i++) tail[i] = 0;

            int cb = 0;
            for (int k0 = 0; k0 < K; k0 += chunk, cb++)
            {
                int k1 = Math.Min(K, k0 + chunk), cg = GroupEnd(k0, k1, G);
                int t = 0;
                for (; t + 2 <= T; t += 2)
                {
                    nint o = (nint)t * K; // token t's x; token t + 1's at o + K
                    TV* u = tot + 4 * t;  // row 0: tokens t, t + 1 at u[0..4), u[4..8); row 1 at u[4 T ..)
                    TV* v = u + 4 * T;
                    TV a0 = u[0], b0 = u[1], c0 = u[2], d0 = u[3], e0 = u[4], f0 = u[5], g0 = u[6], h0 = u[7];
                    TV a1 = v[0], b1 = v[1], c1 = v[2], d1 = v[3], e1 = v[4], f1 = v[5], g1 = v[6], h1 = v[7];
                    for (nint k = k0; k < cg; k += G)
                    {
                        GroupFma.Dot2<TV, TOps, TW>(p0, k, x0 + o, x0 + o + K, ref a0, ref b0, ref c0, ref d0, ref e0, ref f0, ref g0, ref h0);
                        GroupFma.Dot2<TV, TOps, TW>(p1, k, x1 + o, x1 + o + K, ref a1, ref b1, ref c1, ref d1, ref e1, ref f1, ref g1, ref h1);
                    }
                    u[0] = a0; u[1] = b0; u[2] = c0; u[3] = d0; u[4] = e0; u[5] = f0; u[6] = g0; u[7] = h0;
                    v[0] = a1; v[1] = b1; v[2] = c1; v[3] = d1; v[4] = e1; v[5] = f1; v[6] = g1; v[7] = h1;
                }
                if (t < T)
                {
                    nint o = (nint)t * K;
                    TV* u = tot + 4 * t;
                    TV* v = u + 4 * T;
                    TV a0 = u[0], b0 = u[1], c0 = u[2], d0 = u[3], a1 = v[0], b1 = v[1], c1 = v[2], d1 = v[3];
                    for (nint k = k0; k < cg; k += G)
                    {
                        GroupFma.Dot<TV, TOps, TW>(p0, k, x0 + o, ref a0, ref b0, ref c0, ref d0);
                        GroupFma.Dot<TV, TOps, TW>(p1, k, x1 + o, ref a1, ref b1, ref c1, ref d1);
                    }
                    u[0] = a0; u[1] = b0; u[2] = c0; u[3] = d0;
                    v[0] = a1; v[1] = b1; v[2] = c1; v[3] = d1;
                }
                if (cg < k1)
                {
                    float s0 = fp8 ? q0[cb] : 1, s1 = fp8 ? q1[cb] : 1;
                    for (int tt = 0; tt < T; tt++)
                    {
                        float* xr = x + (nint)tt * K;
                        float f0 = 0, f1 = 0;
                        for (nint k = cg; k < k1; k++)
                        {
                            float xv = xr[k];
                            f0 += TW.Load1(p0, k) * xv;
                            f1 += TW.Load1(p1, k) * xv;
                        }
                        if (fp8) { tail[tt] += f0 * s0; tail[T + tt] += f1 * s1; }
                        else { tail[tt] += f0; tail[T + tt] += f1; }
                    }
                }
            }

            int rows = Math.Min(2, r1 - r);
            for (int i = 0; i < rows; i++)
                for (int tt = 0; tt < T; tt++)
                {
                    TV* acc = tot + 4 * T * i + 4 * tt;
                    y[(nint)tt * N + r + i] = Total<TV, TOps>(acc[0], acc[1], acc[2], acc[3], tail[i * T + tt], so);
                }
        }
    }
}
