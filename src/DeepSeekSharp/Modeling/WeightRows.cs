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

    private static float ScaleOf(in WeightView w, bool fp8, int r, int c0) =>
        fp8 ? w.ScaleInv[r / w.BlockRows * w.ScaleCols + c0 / w.BlockCols] : 1f;

    /// <summary>
    /// acc += coef @ W[r0 : r0 + n]. Four rows per pass over acc (each acc vector loaded and stored once per four rows,
    /// its four multiply-adds in row order: the same sums, in the same order, as one row at a time).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Acc<TV, TOps, TW>(in WeightView w, int r0, int n, float* coef, float* acc)
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
                int c1 = Math.Min(K, c0 + blk), cv = c0 + (c1 - c0) / V * V;
                float s0 = coef[i] * ScaleOf(w, fp8, r, c0), s1 = coef[i + 1] * ScaleOf(w, fp8, r + 1, c0);
                float s2 = coef[i + 2] * ScaleOf(w, fp8, r + 2, c0), s3 = coef[i + 3] * ScaleOf(w, fp8, r + 3, c0);
                TV a0 = TOps.Broadcast(s0), a1 = TOps.Broadcast(s1), a2 = TOps.Broadcast(s2), a3 = TOps.Broadcast(s3);
                PrefetchFour(data + (o0 + c0) * TW.Size, (nint)K * TW.Size, (nint)(c1 - c0) * TW.Size);
                int k = c0;
                for (; k < cv; k += V)
                {
                    TV t = TOps.Load(acc + k);
                    t = TOps.Fma(Widen<TV, TOps, TW>(data, o0 + k), a0, t);
                    t = TOps.Fma(Widen<TV, TOps, TW>(data, o1 + k), a1, t);
                    t = TOps.Fma(Widen<TV, TOps, TW>(data, o2 + k), a2, t);
                    t = TOps.Fma(Widen<TV, TOps, TW>(data, o3 + k), a3, t);
                    TOps.Store(acc + k, t);
                }
                for (; k < c1; k++)
                {
                    acc[k] += s0 * TW.Load1(data, o0 + k);
                    acc[k] += s1 * TW.Load1(data, o1 + k);
                    acc[k] += s2 * TW.Load1(data, o2 + k);
                    acc[k] += s3 * TW.Load1(data, o3 + k);
                }
            }
        }
        for (; i < n; i++)
        {
            int r = r0 + i;
            nint o = (nint)r * K;
            for (int c0 = 0; c0 < K; c0 += blk)
            {
                int c1 = Math.Min(K, c0 + blk), cv = c0 + (c1 - c0) / V * V;
                float a = coef[i] * ScaleOf(w, fp8, r, c0);
                TV av = TOps.Broadcast(a);
                int k = c0;
                for (; k < cv; k += V) TOps.Store(acc + k, TOps.Fma(Widen<TV, TOps, TW>(data, o + k), av, TOps.Load(acc + k)));
                for (; k < c1; k++) acc[k] += a * TW.Load1(data, o + k);
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
