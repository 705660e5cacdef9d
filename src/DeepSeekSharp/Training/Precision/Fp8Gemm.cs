using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepSeekSharp.Training.Precision;

/// <summary>
/// The block-scaled FP8 GEMM with promoted accumulation, in dot-product form: both operands run along the
/// contraction index j, which is cut into chunks of 128 that match the scale tiles:
/// <code>C[r, c] (+)= sum over chunks q of (sum over j in q of A[r, j] * B[c, j]) * aS[r, q] * bS[c, q]</code>
/// A (R, stride) and B (C, stride) hold E4M3 values (unscaled) with zero padding past J; aS (R, chunks) and
/// bS (C, chunks) the scales.
/// <para>
/// Accumulator model (what the H800 tensor core does, emulated): the products of E4M3 values are exact, but the
/// tensor core adds them into an accumulator that keeps only about 14 significant bits (DeepSeek-V3, section 3.3.2).
/// We model it as 16 partial accumulators per output (one per SIMD lane; lane l takes j = l mod 16) whose sum is
/// truncated toward zero to 14 significant bits (sign, exponent, 13 fraction bits) after every addition, as the
/// tensor core's alignment shifter drops low bits. After each chunk of 128 (8 products per lane) the partials are
/// promoted: multiplied by aS * bS and added to F32 accumulators (the CUDA-core registers of DeepGEMM), which are
/// summed at the end. Without promotion (<see cref="Fp8GemmReference"/>, promoteEvery = 0) the same 14-bit
/// partials run over the whole of K, and the truncation error grows with K.
/// </para>
/// Every output element is computed by one thread in a fixed order, so results do not depend on the thread count.
/// </summary>
public static unsafe class Fp8Gemm
{
    public const int Chunk = 128;
    /// <summary>Significant bits the emulated tensor-core accumulator keeps.</summary>
    public const int AccumulatorBits = 14;
    /// <summary>F32 bit mask that truncates toward zero to <see cref="AccumulatorBits"/> significant bits.</summary>
    public const uint TruncateMask = 0xFFFFFFFFu << (24 - AccumulatorBits);

    /// <summary>Row length with padding: a multiple of 16 (one Vector512) at or above n.</summary>
    public static int Stride(int n) => (n + 15) & ~15;

    public static int Chunks(int n) => (n + Chunk - 1) / Chunk;

    /// <summary>C (R, Cn) = or += the block-scaled product (see the class summary); J is the logical contraction length.</summary>
    public static void ScaledDot(ReadOnlySpan<float> a, ReadOnlySpan<float> aS, ReadOnlySpan<float> b, ReadOnlySpan<float> bS,
        Span<float> c, int R, int Cn, int J, int stride, bool accumulate)
    {
        int nq = Chunks(J);
        if (stride % 16 != 0 || stride < J) throw new ArgumentException($"stride {stride} must be a multiple of 16 at or above {J}");
        if (a.Length < (long)R * stride || b.Length < (long)Cn * stride || aS.Length < (long)R * nq || bS.Length < (long)Cn * nq || c.Length < (long)R * Cn)
            throw new ArgumentException($"Fp8Gemm: operands too short for ({R} x {J}) @ ({Cn} x {J})^T");
        if (R == 0 || Cn == 0) return;
        fixed (float* pa = a, pas = aS, pb = b, pbs = bS, pc = c)
        {
            var args = new Args((nint)pa, (nint)pas, (nint)pb, (nint)pbs, (nint)pc, R, Cn, stride, nq, accumulate);
            int pairs = (R + 1) / 2;
            long flops = 2L * R * Cn * stride;
            if (Gemm.Threads <= 1 || flops < (1 << 20) || pairs < 2)
            {
                for (int i = 0; i < pairs; i++) RowPair(args, i);
            }
            else
            {
                Parallel.For(0, pairs, new ParallelOptions { MaxDegreeOfParallelism = Gemm.Threads }, i => RowPair(args, i));
            }
        }
    }

    private readonly record struct Args(nint A, nint AS, nint B, nint BS, nint C, int R, int Cn, int Stride, int Nq, bool Accumulate);

    private static void RowPair(Args g, int pair)
    {
        int r0 = 2 * pair;
        int c = 0;
        if (r0 + 1 < g.R)
        {
            for (; c + 4 <= g.Cn; c += 4) Block2x4(g, r0, c);
        }
        for (int r = r0; r < Math.Min(g.R, r0 + 2); r++)
            for (int cc = c; cc < g.Cn; cc++) Block1x1(g, r, cc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Acc(Vector512<float> a, Vector512<float> b, Vector512<float> p, Vector512<uint> mask) =>
        (Vector512.FusedMultiplyAdd(a, b, p).AsUInt32() & mask).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block2x4(Args g, int r0, int c0)
    {
        int S = g.Stride, nq = g.Nq;
        float* a0 = (float*)g.A + (long)r0 * S, a1 = a0 + S;
        float* b0 = (float*)g.B + (long)c0 * S, b1 = b0 + S, b2 = b1 + S, b3 = b2 + S;
        float* as0 = (float*)g.AS + (long)r0 * nq, as1 = as0 + nq;
        float* bs0 = (float*)g.BS + (long)c0 * nq, bs1 = bs0 + nq, bs2 = bs1 + nq, bs3 = bs2 + nq;
        var mask = Vector512.Create(TruncateMask);
        Vector512<float> f00 = default, f01 = default, f02 = default, f03 = default;
        Vector512<float> f10 = default, f11 = default, f12 = default, f13 = default;
        for (int q = 0; q < nq; q++)
        {
            Vector512<float> p00 = default, p01 = default, p02 = default, p03 = default;
            Vector512<float> p10 = default, p11 = default, p12 = default, p13 = default;
            int j1 = Math.Min(S, (q + 1) * Chunk);
            for (int j = q * Chunk; j < j1; j += 16)
            {
                var x0 = Vector512.Load(a0 + j); var x1 = Vector512.Load(a1 + j);
                var w = Vector512.Load(b0 + j);
                p00 = Acc(x0, w, p00, mask); p10 = Acc(x1, w, p10, mask);
                w = Vector512.Load(b1 + j);
                p01 = Acc(x0, w, p01, mask); p11 = Acc(x1, w, p11, mask);
                w = Vector512.Load(b2 + j);
                p02 = Acc(x0, w, p02, mask); p12 = Acc(x1, w, p12, mask);
                w = Vector512.Load(b3 + j);
                p03 = Acc(x0, w, p03, mask); p13 = Acc(x1, w, p13, mask);
            }
            float sa0 = as0[q], sa1 = as1[q];
            float sb0 = bs0[q], sb1 = bs1[q], sb2 = bs2[q], sb3 = bs3[q];
            f00 = Vector512.FusedMultiplyAdd(p00, Vector512.Create(sa0 * sb0), f00);
            f01 = Vector512.FusedMultiplyAdd(p01, Vector512.Create(sa0 * sb1), f01);
            f02 = Vector512.FusedMultiplyAdd(p02, Vector512.Create(sa0 * sb2), f02);
            f03 = Vector512.FusedMultiplyAdd(p03, Vector512.Create(sa0 * sb3), f03);
            f10 = Vector512.FusedMultiplyAdd(p10, Vector512.Create(sa1 * sb0), f10);
            f11 = Vector512.FusedMultiplyAdd(p11, Vector512.Create(sa1 * sb1), f11);
            f12 = Vector512.FusedMultiplyAdd(p12, Vector512.Create(sa1 * sb2), f12);
            f13 = Vector512.FusedMultiplyAdd(p13, Vector512.Create(sa1 * sb3), f13);
        }
        float* c0p = (float*)g.C + (long)r0 * g.Cn + c0, c1p = c0p + g.Cn;
        Store(c0p, 0, f00, g.Accumulate); Store(c0p, 1, f01, g.Accumulate); Store(c0p, 2, f02, g.Accumulate); Store(c0p, 3, f03, g.Accumulate);
        Store(c1p, 0, f10, g.Accumulate); Store(c1p, 1, f11, g.Accumulate); Store(c1p, 2, f12, g.Accumulate); Store(c1p, 3, f13, g.Accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, int i, Vector512<float> f, bool accumulate)
    {
        float v = Vector512.Sum(f);
        c[i] = accumulate ? c[i] + v : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block1x1(Args g, int r, int col)
    {
        int S = g.Stride, nq = g.Nq;
        float* a = (float*)g.A + (long)r * S, b = (float*)g.B + (long)col * S;
        float* sa = (float*)g.AS + (long)r * nq, sb = (float*)g.BS + (long)col * nq;
        var mask = Vector512.Create(TruncateMask);
        Vector512<float> f = default;
        for (int q = 0; q < nq; q++)
        {
            Vector512<float> p = default;
            int j1 = Math.Min(S, (q + 1) * Chunk);
            for (int j = q * Chunk; j < j1; j += 16) p = Acc(Vector512.Load(a + j), Vector512.Load(b + j), p, mask);
            f = Vector512.FusedMultiplyAdd(p, Vector512.Create(sa[q] * sb[q]), f);
        }
        Store((float*)g.C + (long)r * g.Cn, col, f, g.Accumulate);
    }
}
