using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// out (H, ldo) = P (H, S) @ M (S, ..) for columns [c0, c1) of M: each head's probability-weighted sum of the rows of
/// M (absorbed MLA: the latent output of every head from one pass over the latent cache, read in place in BF16 or F32).
/// Eight heads at a time keep their accumulators in registers while each row of M is read once; the rows are summed
/// in order s = 0, 1, ... with fused multiply-adds for every head, so a head's result does not depend on how many heads
/// share the pass, and equals the scalar twin <see cref="RunScalar"/> bit for bit.
/// </summary>
internal static unsafe class WeightedRows
{
    /// <summary>p: (H, ldp), columns [0, S) used; m: (S, ldm) F32 or BF16 (bf16); output: (H, ldo).</summary>
    public static void Run(float* p, int ldp, int H, byte* m, bool bf16, int ldm, int S, float* output, int ldo, int c0, int c1)
    {
        if (Simd.Best == SimdTier.V512) Run<Vector512<float>, V512Ops>(p, ldp, H, m, bf16, ldm, S, output, ldo, c0, c1);
        else if (Simd.Best == SimdTier.V256) Run<Vector256<float>, V256Ops>(p, ldp, H, m, bf16, ldm, S, output, ldo, c0, c1);
        else RunScalar(p, ldp, H, m, bf16, ldm, S, output, ldo, c0, c1);
    }

    /// <summary>The element-by-element twin (same terms, same order, fused multiply-adds).</summary>
    public static void RunScalar(float* p, int ldp, int H, byte* m, bool bf16, int ldm, int S, float* output, int ldo, int c0, int c1)
    {
        for (int h = 0; h < H; h++)
            for (int c = c0; c < c1; c++)
            {
                float acc = 0;
                for (int s = 0; s < S; s++) acc = MathF.FusedMultiplyAdd(p[(nint)h * ldp + s], Element(m, bf16, (nint)s * ldm + c), acc);
                output[(nint)h * ldo + c] = acc;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Element(byte* m, bool bf16, nint i) => bf16 ? BFloat16.ToSingle(((ushort*)m)[i]) : ((float*)m)[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Row<TV, TOps>(byte* m, bool bf16, nint i) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => bf16 ? TOps.LoadBf16((ushort*)m + i) : TOps.Load((float*)m + i);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run<TV, TOps>(float* p, int ldp, int H, byte* m, bool bf16, int ldm, int S, float* output, int ldo, int c0, int c1)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        int cv = c0 + (c1 - c0) / V * V;
        for (int c = c0; c < cv; c += V)
        {
            int h = 0;
            for (; h + 8 <= H; h += 8)
            {
                float* ph = p + (nint)h * ldp;
                TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
                for (int s = 0; s < S; s++)
                {
                    TV row = Row<TV, TOps>(m, bf16, (nint)s * ldm + c);
                    a0 = TOps.Fma(TOps.Broadcast(ph[s]), row, a0);
                    a1 = TOps.Fma(TOps.Broadcast(ph[ldp + s]), row, a1);
                    a2 = TOps.Fma(TOps.Broadcast(ph[2 * ldp + s]), row, a2);
                    a3 = TOps.Fma(TOps.Broadcast(ph[3 * ldp + s]), row, a3);
                    a4 = TOps.Fma(TOps.Broadcast(ph[4 * ldp + s]), row, a4);
                    a5 = TOps.Fma(TOps.Broadcast(ph[5 * ldp + s]), row, a5);
                    a6 = TOps.Fma(TOps.Broadcast(ph[6 * ldp + s]), row, a6);
                    a7 = TOps.Fma(TOps.Broadcast(ph[7 * ldp + s]), row, a7);
                }
                float* o = output + (nint)h * ldo + c;
                TOps.Store(o, a0); TOps.Store(o + ldo, a1); TOps.Store(o + 2 * ldo, a2); TOps.Store(o + 3 * ldo, a3);
                TOps.Store(o + 4 * ldo, a4); TOps.Store(o + 5 * ldo, a5); TOps.Store(o + 6 * ldo, a6); TOps.Store(o + 7 * ldo, a7);
            }
            for (; h < H; h++)
            {
                float* ph = p + (nint)h * ldp;
                TV a0 = TOps.Zero;
                for (int s = 0; s < S; s++) a0 = TOps.Fma(TOps.Broadcast(ph[s]), Row<TV, TOps>(m, bf16, (nint)s * ldm + c), a0);
                TOps.Store(output + (nint)h * ldo + c, a0);
            }
        }
        if (cv < c1) RunScalar(p, ldp, H, m, bf16, ldm, S, output, ldo, cv, c1);
    }
}
