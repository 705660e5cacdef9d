using System.Runtime.CompilerServices;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// Prefill products (large T): y = x @ W^T, tiled. The weight is cut into panels of NR = 2 vectors of rows
/// (the unit of parallel work) and blocks of at most KC columns that never cross an FP8 scale block; each
/// panel x block is widened and transposed (<see cref="MatMulPack"/>) into a small F32 scratch bp (KC, NR) on the stack, which an
/// 8 x NR register tile of the output then streams through for every 8 tokens. The tile's partial sums over
/// the block are multiplied by the panel's per-row block scales and added to y, so FP8 scales apply per
/// block and the weight is never expanded beyond one (KC, NR) panel. Scalar twin: <see cref="MatMulScalar"/>.
/// </summary>
internal static unsafe class MatMulGemm
{
    /// <summary>Tokens per register tile.</summary>
    public const int MR = 8;
    /// <summary>Most columns per packed block: bp is (128, 32) F32 = 16 KiB with 512-bit vectors.</summary>
    public const int KC = 128;

    /// <summary>Panels of NR weight rows for the given vector width.</summary>
    public static int PanelRows<TV, TOps>() where TV : unmanaged where TOps : struct, IVecOps<TV> => 2 * TOps.Count;

    /// <summary>y (T, w.Rows) over the weight panels [p0, p1) (panel p = rows [p*NR, p*NR + NR)) from x (T, w.Cols).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TOps, TW>(in WeightView w, float* x, float* y, int T, int p0, int p1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        bool fp8 = typeof(TW) == typeof(Fp8Load);
        int NR = 2 * TOps.Count, K = w.Cols, N = w.Rows;
        float* bp = stackalloc float[KC * NR]; // (KC, NR) widened, transposed weight block
        float* sv = stackalloc float[NR];      // (NR) block scale per weight row of the panel
        float* tmp = stackalloc float[MR * NR]; // (MR, NR) output tile of a partial panel

        for (int p = p0; p < p1; p++)
        {
            int n0 = p * NR, nr = Math.Min(NR, N - n0);
            for (int k0 = 0; k0 < K; )
            {
                int kend = Math.Min(K, k0 + KC);
                if (fp8) kend = Math.Min(kend, (k0 / w.BlockCols + 1) * w.BlockCols);
                int kc = kend - k0;
                MatMulPack.Pack<TV, TOps, TW>(w, n0, nr, k0, kc, bp, NR);
                for (int j = 0; j < NR; j++)
                    sv[j] = fp8 && j < nr ? w.ScaleInv[(n0 + j) / w.BlockRows * w.ScaleCols + k0 / w.BlockCols] : 1f;
                bool first = k0 == 0;

                int t = 0;
                for (; t < T; t += MR)
                {
                    int mr = Math.Min(MR, T - t);
                    float* xt = x + (nint)t * K + k0;
                    if (nr == NR)
                    {
                        float* c = y + (nint)t * N + n0;
                        if (mr == MR) Tile8<TV, TOps>(xt, K, bp, kc, sv, c, N, first);
                        else for (int i = 0; i < mr; i++) Tile1<TV, TOps>(xt + (nint)i * K, bp, kc, sv, c + (nint)i * N, first);
                    }
                    else
                    {
                        for (int i = 0; i < mr; i++) Tile1<TV, TOps>(xt + (nint)i * K, bp, kc, sv, tmp + i * NR, true);
                        for (int i = 0; i < mr; i++)
                        {
                            float* yr = y + (nint)(t + i) * N + n0;
                            for (int j = 0; j < nr; j++) yr[j] = first ? tmp[i * NR + j] : yr[j] + tmp[i * NR + j];
                        }
                    }
                }
                k0 = kend;
            }
        }
    }

    /// <summary>c (8, NR) with row stride ldc = (first ? 0 : c) + (x (8, kc) row stride ldx @ bp (kc, NR)) * sv.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8<TV, TOps>(float* x, nint ldx, float* bp, int kc, float* sv, float* c, nint ldc, bool first)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        float* x0 = x, x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx;
        float* x4 = x + 4 * ldx, x5 = x + 5 * ldx, x6 = x + 6 * ldx, x7 = x + 7 * ldx;
        float* b = bp;
        for (int k = 0; k < kc; k++, b += 2 * V)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + V);
            TV a = TOps.Broadcast(x0[k]); c00 = TOps.Fma(a, b0, c00); c01 = TOps.Fma(a, b1, c01);
            a = TOps.Broadcast(x1[k]); c10 = TOps.Fma(a, b0, c10); c11 = TOps.Fma(a, b1, c11);
            a = TOps.Broadcast(x2[k]); c20 = TOps.Fma(a, b0, c20); c21 = TOps.Fma(a, b1, c21);
            a = TOps.Broadcast(x3[k]); c30 = TOps.Fma(a, b0, c30); c31 = TOps.Fma(a, b1, c31);
            a = TOps.Broadcast(x4[k]); c40 = TOps.Fma(a, b0, c40); c41 = TOps.Fma(a, b1, c41);
            a = TOps.Broadcast(x5[k]); c50 = TOps.Fma(a, b0, c50); c51 = TOps.Fma(a, b1, c51);
            a = TOps.Broadcast(x6[k]); c60 = TOps.Fma(a, b0, c60); c61 = TOps.Fma(a, b1, c61);
            a = TOps.Broadcast(x7[k]); c70 = TOps.Fma(a, b0, c70); c71 = TOps.Fma(a, b1, c71);
        }
        TV s0 = TOps.Load(sv), s1 = TOps.Load(sv + V);
        Put<TV, TOps>(c, c00, c01, s0, s1, first); c += ldc;
        Put<TV, TOps>(c, c10, c11, s0, s1, first); c += ldc;
        Put<TV, TOps>(c, c20, c21, s0, s1, first); c += ldc;
        Put<TV, TOps>(c, c30, c31, s0, s1, first); c += ldc;
        Put<TV, TOps>(c, c40, c41, s0, s1, first); c += ldc;
        Put<TV, TOps>(c, c50, c51, s0, s1, first); c += ldc;
        Put<TV, TOps>(c, c60, c61, s0, s1, first); c += ldc;
        Put<TV, TOps>(c, c70, c71, s0, s1, first);
    }

    /// <summary>One token row of <see cref="Tile8{TV, TOps}"/>: c (NR) = (first ? 0 : c) + (x (kc) @ bp) * sv.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1<TV, TOps>(float* x, float* bp, int kc, float* sv, float* c, bool first)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        TV c0 = TOps.Zero, c1 = TOps.Zero;
        float* b = bp;
        for (int k = 0; k < kc; k++, b += 2 * V)
        {
            TV a = TOps.Broadcast(x[k]);
            c0 = TOps.Fma(a, TOps.Load(b), c0);
            c1 = TOps.Fma(a, TOps.Load(b + V), c1);
        }
        Put<TV, TOps>(c, c0, c1, TOps.Load(sv), TOps.Load(sv + TOps.Count), first);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TV, TOps>(float* c, TV v0, TV v1, TV s0, TV s1, bool first)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        if (first)
        {
            TOps.Store(c, TOps.Fma(v0, s0, TOps.Zero));
            TOps.Store(c + V, TOps.Fma(v1, s1, TOps.Zero));
        }
        else
        {
            TOps.Store(c, TOps.Fma(v0, s0, TOps.Load(c)));
            TOps.Store(c + V, TOps.Fma(v1, s1, TOps.Load(c + V)));
        }
    }
}
