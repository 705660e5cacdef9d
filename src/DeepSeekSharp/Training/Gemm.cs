using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepSeekSharp.Training;

/// <summary>
/// The F32 matrix products of training, row-major, with Vector512 inner loops. Every output element is computed
/// by one thread in a fixed order, so results do not depend on the thread count (runs repeat bit for bit).
/// <list type="bullet">
/// <item>Forward: y (M, N) = x (M, K) @ W (N, K)^T (a linear layer).</item>
/// <item>AccumulateInput: dx (M, K) += dy (M, N) @ W (N, K).</item>
/// <item>AccumulateWeight: dW (N, K) += dy (M, N)^T @ x (M, K).</item>
/// </list>
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Threads used for large products (1 = single-threaded).</summary>
    public static int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    private const long ParallelFlops = 1 << 20;

    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int M, int N, int K)
    {
        Check(x.Length, M * K, w.Length, N * K, y.Length, M * N);
        // Tiles of (MTile rows of x) x (NTile rows of W) so a tile of W stays in cache while every row block of x
        // passes over it (the lm_head's W is far larger than the caches).
        const int MTile = 64, NTile = 64;
        int mTiles = (M + MTile - 1) / MTile, nTiles = (N + NTile - 1) / NTile;
        fixed (float* px = x, pw = w, py = y)
        {
            var (a, b, c) = ((nint)px, (nint)pw, (nint)py);
            For(mTiles * nTiles, (long)M * N * K, i =>
            {
                int nt = i / mTiles, mt = i % mTiles;
                int n0 = nt * NTile, n1 = Math.Min(N, n0 + NTile);
                for (int m = mt * MTile, mEnd = Math.Min(M, m + MTile); m < mEnd; m += 4)
                    ForwardRows((float*)a, (float*)b, (float*)c, m, Math.Min(mEnd, m + 4), n0, n1, N, K);
            });
        }
    }

    public static void AccumulateInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int M, int N, int K)
    {
        Check(dy.Length, M * N, w.Length, N * K, dx.Length, M * K);
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            var (a, b, c) = ((nint)pdy, (nint)pw, (nint)pdx);
            // C = dx (M, K), A(m, n) = dy[m * N + n], B = W (N, K)
            Accumulate((float*)c, (float*)a, N, 1, (float*)b, M, K, N);
        }
    }

    public static void AccumulateWeight(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, int M, int N, int K)
    {
        Check(dy.Length, M * N, x.Length, M * K, dw.Length, N * K);
        fixed (float* pdy = dy, px = x, pdw = dw)
        {
            var (a, b, c) = ((nint)pdy, (nint)px, (nint)pdw);
            // C = dW (N, K), A(n, m) = dy[m * N + n], B = x (M, K)
            Accumulate((float*)c, (float*)a, 1, N, (float*)b, N, K, M);
        }
    }

    /// <summary>
    /// C (rows, cols) += A (rows, inner) @ B (inner, cols): groups of 16 rows in parallel; within a group the inner
    /// dimension goes in chunks of 256 so a chunk of B stays in cache for every row block. Each element sums its
    /// products in ascending inner order whatever the split.
    /// </summary>
    private static void Accumulate(float* c, float* a, int ar, int aj, float* b, int rows, int cols, int inner)
    {
        const int RowGroup = 16, InnerChunk = 256;
        var (pc, pa, pb) = ((nint)c, (nint)a, (nint)b);
        For((rows + RowGroup - 1) / RowGroup, (long)rows * cols * inner, g =>
        {
            int r0 = g * RowGroup, r1 = Math.Min(rows, r0 + RowGroup);
            for (int j0 = 0; j0 < inner; j0 += InnerChunk)
            {
                int j1 = Math.Min(inner, j0 + InnerChunk);
                for (int r = r0; r < r1; r += 4)
                    AccumulateAB((float*)pc, (float*)pa, ar, aj, (float*)pb, r, Math.Min(r1, r + 4), cols, j0, j1);
            }
        });
    }

    private static void For(int blocks, long flops, Action<int> body)
    {
        if (Threads <= 1 || flops < ParallelFlops || blocks < 2)
        {
            for (int i = 0; i < blocks; i++) body(i);
            return;
        }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Threads }, body);
    }

    private static void Check(int a, int needA, int b, int needB, int c, int needC)
    {
        if (a < needA || b < needB || c < needC)
            throw new ArgumentException($"Gemm: operands hold {a}, {b}, {c} values but the shapes need {needA}, {needB}, {needC}");
    }

    /// <summary>Rows [m0, m1) of y = x @ W^T: 4 x 4 blocks of dot products.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows(float* x, float* w, float* y, int m0, int m1, int n0, int n1, int N, int K)
    {
        int K16 = K & ~15;
        int n = n0;
        if (m1 - m0 == 4)
        {
            float* x0 = x + (long)m0 * K, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K;
            for (; n + 4 <= n1; n += 4)
            {
                float* w0 = w + (long)n * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
                Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
                for (int k = 0; k < K16; k += 16)
                {
                    var b0 = Vector512.Load(w0 + k); var b1 = Vector512.Load(w1 + k);
                    var b2 = Vector512.Load(w2 + k); var b3 = Vector512.Load(w3 + k);
                    var v = Vector512.Load(x0 + k);
                    a00 = Vector512.FusedMultiplyAdd(v, b0, a00); a01 = Vector512.FusedMultiplyAdd(v, b1, a01);
                    a02 = Vector512.FusedMultiplyAdd(v, b2, a02); a03 = Vector512.FusedMultiplyAdd(v, b3, a03);
                    v = Vector512.Load(x1 + k);
                    a10 = Vector512.FusedMultiplyAdd(v, b0, a10); a11 = Vector512.FusedMultiplyAdd(v, b1, a11);
                    a12 = Vector512.FusedMultiplyAdd(v, b2, a12); a13 = Vector512.FusedMultiplyAdd(v, b3, a13);
                    v = Vector512.Load(x2 + k);
                    a20 = Vector512.FusedMultiplyAdd(v, b0, a20); a21 = Vector512.FusedMultiplyAdd(v, b1, a21);
                    a22 = Vector512.FusedMultiplyAdd(v, b2, a22); a23 = Vector512.FusedMultiplyAdd(v, b3, a23);
                    v = Vector512.Load(x3 + k);
                    a30 = Vector512.FusedMultiplyAdd(v, b0, a30); a31 = Vector512.FusedMultiplyAdd(v, b1, a31);
                    a32 = Vector512.FusedMultiplyAdd(v, b2, a32); a33 = Vector512.FusedMultiplyAdd(v, b3, a33);
                }
                float* y0 = y + (long)m0 * N + n, y1 = y0 + N, y2 = y1 + N, y3 = y2 + N;
                y0[0] = Vector512.Sum(a00) + Tail(x0, w0, K16, K); y0[1] = Vector512.Sum(a01) + Tail(x0, w1, K16, K);
                y0[2] = Vector512.Sum(a02) + Tail(x0, w2, K16, K); y0[3] = Vector512.Sum(a03) + Tail(x0, w3, K16, K);
                y1[0] = Vector512.Sum(a10) + Tail(x1, w0, K16, K); y1[1] = Vector512.Sum(a11) + Tail(x1, w1, K16, K);
                y1[2] = Vector512.Sum(a12) + Tail(x1, w2, K16, K); y1[3] = Vector512.Sum(a13) + Tail(x1, w3, K16, K);
                y2[0] = Vector512.Sum(a20) + Tail(x2, w0, K16, K); y2[1] = Vector512.Sum(a21) + Tail(x2, w1, K16, K);
                y2[2] = Vector512.Sum(a22) + Tail(x2, w2, K16, K); y2[3] = Vector512.Sum(a23) + Tail(x2, w3, K16, K);
                y3[0] = Vector512.Sum(a30) + Tail(x3, w0, K16, K); y3[1] = Vector512.Sum(a31) + Tail(x3, w1, K16, K);
                y3[2] = Vector512.Sum(a32) + Tail(x3, w2, K16, K); y3[3] = Vector512.Sum(a33) + Tail(x3, w3, K16, K);
            }
        }
        for (int m = m0; m < m1; m++)
        {
            float* xm = x + (long)m * K;
            for (int nn = n; nn < n1; nn++) y[(long)m * N + nn] = Dot(xm, w + (long)nn * K, K);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* a, float* b, int from, int to)
    {
        float s = 0;
        for (int k = from; k < to; k++) s += a[k] * b[k];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(float* a, float* b, int K)
    {
        int K16 = K & ~15;
        var acc = Vector512<float>.Zero;
        for (int k = 0; k < K16; k += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + k), Vector512.Load(b + k), acc);
        return Vector512.Sum(acc) + Tail(a, b, K16, K);
    }

    /// <summary>
    /// C rows [r0, r1) (each of length cols) += sum over j in [j0, j1) of A(r, j) * B[j, :], where A(r, j) = a[r * ar + j * aj]
    /// and B is row-major (inner, cols). Blocks of 4 rows x 64 columns are kept in registers over the chunk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateAB(float* c, float* a, int ar, int aj, float* b, int r0, int r1, int cols, int j0, int j1)
    {
        int c64 = cols & ~63, c16 = cols & ~15;
        if (r1 - r0 == 4)
        {
            for (int col = 0; col < c64; col += 64)
            {
                float* c0 = c + (long)r0 * cols + col, c1 = c0 + cols, c2 = c1 + cols, c3 = c2 + cols;
                var s00 = Vector512.Load(c0); var s01 = Vector512.Load(c0 + 16); var s02 = Vector512.Load(c0 + 32); var s03 = Vector512.Load(c0 + 48);
                var s10 = Vector512.Load(c1); var s11 = Vector512.Load(c1 + 16); var s12 = Vector512.Load(c1 + 32); var s13 = Vector512.Load(c1 + 48);
                var s20 = Vector512.Load(c2); var s21 = Vector512.Load(c2 + 16); var s22 = Vector512.Load(c2 + 32); var s23 = Vector512.Load(c2 + 48);
                var s30 = Vector512.Load(c3); var s31 = Vector512.Load(c3 + 16); var s32 = Vector512.Load(c3 + 32); var s33 = Vector512.Load(c3 + 48);
                for (int j = j0; j < j1; j++)
                {
                    float* bj = b + (long)j * cols + col;
                    var b0 = Vector512.Load(bj); var b1 = Vector512.Load(bj + 16); var b2 = Vector512.Load(bj + 32); var b3 = Vector512.Load(bj + 48);
                    float* aj0 = a + (long)r0 * ar + (long)j * aj;
                    var v = Vector512.Create(aj0[0]);
                    s00 = Vector512.FusedMultiplyAdd(v, b0, s00); s01 = Vector512.FusedMultiplyAdd(v, b1, s01);
                    s02 = Vector512.FusedMultiplyAdd(v, b2, s02); s03 = Vector512.FusedMultiplyAdd(v, b3, s03);
                    v = Vector512.Create(aj0[ar]);
                    s10 = Vector512.FusedMultiplyAdd(v, b0, s10); s11 = Vector512.FusedMultiplyAdd(v, b1, s11);
                    s12 = Vector512.FusedMultiplyAdd(v, b2, s12); s13 = Vector512.FusedMultiplyAdd(v, b3, s13);
                    v = Vector512.Create(aj0[2 * ar]);
                    s20 = Vector512.FusedMultiplyAdd(v, b0, s20); s21 = Vector512.FusedMultiplyAdd(v, b1, s21);
                    s22 = Vector512.FusedMultiplyAdd(v, b2, s22); s23 = Vector512.FusedMultiplyAdd(v, b3, s23);
                    v = Vector512.Create(aj0[3 * ar]);
                    s30 = Vector512.FusedMultiplyAdd(v, b0, s30); s31 = Vector512.FusedMultiplyAdd(v, b1, s31);
                    s32 = Vector512.FusedMultiplyAdd(v, b2, s32); s33 = Vector512.FusedMultiplyAdd(v, b3, s33);
                }
                s00.Store(c0); s01.Store(c0 + 16); s02.Store(c0 + 32); s03.Store(c0 + 48);
                s10.Store(c1); s11.Store(c1 + 16); s12.Store(c1 + 32); s13.Store(c1 + 48);
                s20.Store(c2); s21.Store(c2 + 16); s22.Store(c2 + 32); s23.Store(c2 + 48);
                s30.Store(c3); s31.Store(c3 + 16); s32.Store(c3 + 32); s33.Store(c3 + 48);
            }
            AccumulateColumns(c, a, ar, aj, b, r0, r1, cols, j0, j1, c64, c16);
            return;
        }
        AccumulateColumns(c, a, ar, aj, b, r0, r1, cols, j0, j1, 0, c16);
    }

    /// <summary>Columns [from, cols) of rows [r0, r1): 16 columns at a time, then scalar.</summary>
    private static void AccumulateColumns(float* c, float* a, int ar, int aj, float* b, int r0, int r1, int cols, int j0, int j1, int from, int c16)
    {
        for (int r = r0; r < r1; r++)
        {
            float* cr = c + (long)r * cols;
            for (int col = from; col < c16; col += 16)
            {
                var s = Vector512.Load(cr + col);
                for (int j = j0; j < j1; j++)
                    s = Vector512.FusedMultiplyAdd(Vector512.Create(a[(long)r * ar + (long)j * aj]), Vector512.Load(b + (long)j * cols + col), s);
                s.Store(cr + col);
            }
            for (int col = Math.Max(from, c16); col < cols; col++)
            {
                float s = cr[col];
                for (int j = j0; j < j1; j++) s += a[(long)r * ar + (long)j * aj] * b[(long)j * cols + col];
                cr[col] = s;
            }
        }
    }
}
