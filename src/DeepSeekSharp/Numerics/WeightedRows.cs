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
        int c = c0;
        // Two column vectors and eight heads at a time (512-bit: 16 accumulators fit its 32 registers): each row's two
        // vectors are read (and widened) once for eight heads, each probability broadcast once for both.
        for (; typeof(TV) == typeof(Vector512<float>) && c + 2 * V <= cv; c += 2 * V)
        {
            int h = 0;
            for (; h + 8 <= H; h += 8)
            {
                float* ph = p + (nint)h * ldp;
                TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
                TV b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero, b4 = TOps.Zero, b5 = TOps.Zero, b6 = TOps.Zero, b7 = TOps.Zero;
                for (int s = 0; s < S; s++)
                {
                    TV ra = Row<TV, TOps>(m, bf16, (nint)s * ldm + c), rb = Row<TV, TOps>(m, bf16, (nint)s * ldm + c + V);
                    TV w = TOps.Broadcast(ph[s]); a0 = TOps.Fma(w, ra, a0); b0 = TOps.Fma(w, rb, b0);
                    w = TOps.Broadcast(ph[ldp + s]); a1 = TOps.Fma(w, ra, a1); b1 = TOps.Fma(w, rb, b1);
                    w = TOps.Broadcast(ph[2 * ldp + s]); a2 = TOps.Fma(w, ra, a2); b2 = TOps.Fma(w, rb, b2);
                    w = TOps.Broadcast(ph[3 * ldp + s]); a3 = TOps.Fma(w, ra, a3); b3 = TOps.Fma(w, rb, b3);
                    w = TOps.Broadcast(ph[4 * ldp + s]); a4 = TOps.Fma(w, ra, a4); b4 = TOps.Fma(w, rb, b4);
                    w = TOps.Broadcast(ph[5 * ldp + s]); a5 = TOps.Fma(w, ra, a5); b5 = TOps.Fma(w, rb, b5);
                    w = TOps.Broadcast(ph[6 * ldp + s]); a6 = TOps.Fma(w, ra, a6); b6 = TOps.Fma(w, rb, b6);
                    w = TOps.Broadcast(ph[7 * ldp + s]); a7 = TOps.Fma(w, ra, a7); b7 = TOps.Fma(w, rb, b7);
                }
                float* o = output + (nint)h * ldo + c;
                TOps.Store(o, a0); TOps.Store(o + ldo, a1); TOps.Store(o + 2 * ldo, a2); TOps.Store(o + 3 * ldo, a3);
                TOps.Store(o + 4 * ldo, a4); TOps.Store(o + 5 * ldo, a5); TOps.Store(o + 6 * ldo, a6); TOps.Store(o + 7 * ldo, a7);
                o += V;
                TOps.Store(o, b0); TOps.Store(o + ldo, b1); TOps.Store(o + 2 * ldo, b2); TOps.Store(o + 3 * ldo, b3);
                TOps.Store(o + 4 * ldo, b4); TOps.Store(o + 5 * ldo, b5); TOps.Store(o + 6 * ldo, b6); TOps.Store(o + 7 * ldo, b7);
            }
            if (h < H) Columns<TV, TOps>(p, ldp, h, H, m, bf16, ldm, S, output, ldo, c, c + 2 * V);
        }
        Columns<TV, TOps>(p, ldp, 0, H, m, bf16, ldm, S, output, ldo, c, cv);
        if (cv < c1) RunScalar(p, ldp, H, m, bf16, ldm, S, output, ldo, cv, c1);
    }

    /// <summary>Heads [h0, H), columns [c0, cv) (whole vectors) one column vector at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns<TV, TOps>(float* p, int ldp, int h0, int H, byte* m, bool bf16, int ldm, int S, float* output, int ldo, int c0, int cv)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        for (int c = c0; c < cv; c += V)
        {
            int h = h0;
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
    }
}
