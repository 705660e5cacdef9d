using System.Runtime.CompilerServices;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// Decode and small-batch products (T = 1..16): y = x @ W^T for the weight rows [r0, r1), four rows in flight
/// per step, each weight row read from memory once for all T tokens (its column chunk stays in L1 while the
/// token pairs pass over it). FP8 block scales are applied per column block: the block's partial dot products
/// accumulate from zero, then total += partial * scale. Scalar twin: <see cref="MatMulScalar"/>.
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
        int K = w.Cols, N = w.Rows, V = TOps.Count;
        int chunk = fp8 ? w.BlockCols : Chunk;
        TV* tot = stackalloc TV[4 * T];        // (4 rows, T) vector partial sums
        float* tail = stackalloc float[4 * T]; // (4 rows, T) sums of the columns past the last full vector
        byte* data = w.Data;

        for (int r = r0; r < r1; r += 4)
        {
            // Rows past r1 repeat the last row (computed, not stored).
            nint o0 = (nint)r * K, o1 = (nint)Math.Min(r + 1, r1 - 1) * K;
            nint o2 = (nint)Math.Min(r + 2, r1 - 1) * K, o3 = (nint)Math.Min(r + 3, r1 - 1) * K;
            for (int i = 0; i < 4 * T; i++) { tot[i] = TOps.Zero; tail[i] = 0; }

            for (int c0 = 0; c0 < K; c0 += chunk)
            {
                int c1 = Math.Min(K, c0 + chunk);
                int cv = c0 + (c1 - c0) / V * V;
                float s0 = 1, s1 = 1, s2 = 1, s3 = 1;
                if (fp8)
                {
                    int sc = w.ScaleCols, cb = c0 / w.BlockCols, br = w.BlockRows;
                    s0 = w.ScaleInv[r / br * sc + cb];
                    s1 = w.ScaleInv[Math.Min(r + 1, r1 - 1) / br * sc + cb];
                    s2 = w.ScaleInv[Math.Min(r + 2, r1 - 1) / br * sc + cb];
                    s3 = w.ScaleInv[Math.Min(r + 3, r1 - 1) / br * sc + cb];
                }
                TV v0s = TOps.Broadcast(s0), v1s = TOps.Broadcast(s1), v2s = TOps.Broadcast(s2), v3s = TOps.Broadcast(s3);

                int t = 0;
                for (; t + 2 <= T; t += 2)
                {
                    float* xa = x + (nint)t * K, xb = xa + K;
                    TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
                    TV b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero;
                    for (nint k = c0; k < cv; k += V)
                    {
                        TV xva = TOps.Load(xa + k), xvb = TOps.Load(xb + k);
                        TV w0 = TW.Load<TV, TOps>(data, o0 + k), w1 = TW.Load<TV, TOps>(data, o1 + k);
                        TV w2 = TW.Load<TV, TOps>(data, o2 + k), w3 = TW.Load<TV, TOps>(data, o3 + k);
                        a0 = TOps.Fma(w0, xva, a0); b0 = TOps.Fma(w0, xvb, b0);
                        a1 = TOps.Fma(w1, xva, a1); b1 = TOps.Fma(w1, xvb, b1);
                        a2 = TOps.Fma(w2, xva, a2); b2 = TOps.Fma(w2, xvb, b2);
                        a3 = TOps.Fma(w3, xva, a3); b3 = TOps.Fma(w3, xvb, b3);
                    }
                    tot[t] = TOps.Fma(a0, v0s, tot[t]); tot[t + 1] = TOps.Fma(b0, v0s, tot[t + 1]);
                    tot[T + t] = TOps.Fma(a1, v1s, tot[T + t]); tot[T + t + 1] = TOps.Fma(b1, v1s, tot[T + t + 1]);
                    tot[2 * T + t] = TOps.Fma(a2, v2s, tot[2 * T + t]); tot[2 * T + t + 1] = TOps.Fma(b2, v2s, tot[2 * T + t + 1]);
                    tot[3 * T + t] = TOps.Fma(a3, v3s, tot[3 * T + t]); tot[3 * T + t + 1] = TOps.Fma(b3, v3s, tot[3 * T + t + 1]);
                }
                if (t < T)
                {
                    float* xa = x + (nint)t * K;
                    TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
                    for (nint k = c0; k < cv; k += V)
                    {
                        TV xva = TOps.Load(xa + k);
                        a0 = TOps.Fma(TW.Load<TV, TOps>(data, o0 + k), xva, a0);
                        a1 = TOps.Fma(TW.Load<TV, TOps>(data, o1 + k), xva, a1);
                        a2 = TOps.Fma(TW.Load<TV, TOps>(data, o2 + k), xva, a2);
                        a3 = TOps.Fma(TW.Load<TV, TOps>(data, o3 + k), xva, a3);
                    }
                    tot[t] = TOps.Fma(a0, v0s, tot[t]);
                    tot[T + t] = TOps.Fma(a1, v1s, tot[T + t]);
                    tot[2 * T + t] = TOps.Fma(a2, v2s, tot[2 * T + t]);
                    tot[3 * T + t] = TOps.Fma(a3, v3s, tot[3 * T + t]);
                }
                if (cv < c1)
                {
                    for (int tt = 0; tt < T; tt++)
                    {
                        float* xr = x + (nint)tt * K;
                        float p0 = 0, p1 = 0, p2 = 0, p3 = 0;
                        for (nint k = cv; k < c1; k++)
                        {
                            float xv = xr[k];
                            p0 += TW.Load1(data, o0 + k) * xv;
                            p1 += TW.Load1(data, o1 + k) * xv;
                            p2 += TW.Load1(data, o2 + k) * xv;
                            p3 += TW.Load1(data, o3 + k) * xv;
                        }
                        tail[tt] += p0 * s0;
                        tail[T + tt] += p1 * s1;
                        tail[2 * T + tt] += p2 * s2;
                        tail[3 * T + tt] += p3 * s3;
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
