using System.Runtime.Intrinsics;
using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Numerics;

/// <summary>Which kernel computes a product.</summary>
internal enum MatMulPath
{
    /// <summary>T &lt;= 16 uses <see cref="MatMulRows"/>, larger T <see cref="MatMulGemm"/>.</summary>
    Auto,
    Rows,
    Gemm,
}

/// <summary>
/// y = x @ W^T for a weight in its stored dtype. x: (T, Cols), y: (T, Rows). Decode and small batches
/// (T &lt;= 16) go to <see cref="MatMulRows"/>, prefill to <see cref="MatMulGemm"/>; both run at the widest
/// vector width the machine has (AVX-512, AVX2+FMA, else scalar) and split over <see cref="WorkerPool.Shared"/>
/// when the product has more than <see cref="ParallelMacs"/> multiply-adds. Nothing is allocated per call.
/// Reference twin: <see cref="MatMulScalar"/>.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>Products smaller than this many multiply-adds stay on the calling thread.</summary>
    public const long ParallelMacs = 64 * 1024;

    public static void Forward(in WeightView w, ReadOnlySpan<float> x, Span<float> y, int T)
        => Forward(w, x, y, T, Simd.Best, MatMulPath.Auto, WorkerPool.Shared);

    /// <summary>Forward with the kernel, vector width and pool chosen (pool null: the calling thread only).</summary>
    internal static void Forward(in WeightView w, ReadOnlySpan<float> x, Span<float> y, int T, SimdTier tier, MatMulPath path, WorkerPool? pool)
    {
        if (T < 0 || x.Length < (long)T * w.Cols || y.Length < (long)T * w.Rows)
            throw new ArgumentException($"MatMul: x has {x.Length} values for (T={T}, {w.Cols}), y has {y.Length} for ({T}, {w.Rows})");
        if (!Simd.IsSupported(tier)) throw new PlatformNotSupportedException($"{tier} is not supported on this machine");
        if (T == 0 || w.Rows == 0) return;
        if (w.Cols == 0) { y[..(T * w.Rows)].Clear(); return; }
        if (path == MatMulPath.Auto) path = T <= MatMulRows.MaxT ? MatMulPath.Rows : MatMulPath.Gemm;
        if (path == MatMulPath.Rows && T > MatMulRows.MaxT) path = MatMulPath.Gemm;
        if ((long)T * w.Rows * w.Cols < ParallelMacs) pool = null;

        fixed (float* px = x)
        fixed (float* py = y)
        {
            var job = new Job { W = w, X = px, Y = py, T = T, Path = path };
            switch (tier)
            {
                case SimdTier.V512: Dispatch<Vector512<float>, V512Ops>(job, pool); break;
                case SimdTier.V256: Dispatch<Vector256<float>, V256Ops>(job, pool); break;
                default: Dispatch<float, ScalarOps>(job, pool); break;
            }
        }
    }

    /// <summary>
    /// Two decode products of the same x (T &lt;= <see cref="MatMulRows.MaxT"/>, same dtype and columns), ya = x @ a^T
    /// and yb = x @ b^T, in one parallel region over the rows of both (one start and one end of a region instead of
    /// two: attention's q and kv_a projections). Otherwise, or on one thread, the two products one after the other.
    /// Each row's result is that of <see cref="Forward(in WeightView, ReadOnlySpan{float}, Span{float}, int)"/>.
    /// </summary>
    internal static void ForwardTwo(in WeightView a, Span<float> ya, in WeightView b, Span<float> yb, ReadOnlySpan<float> x, int T)
    {
        var pool = WorkerPool.Shared;
        if (T < 1 || T > MatMulRows.MaxT || a.DType != b.DType || a.Cols != b.Cols || pool.Threads == 1 || !Simd.IsSupported(SimdTier.V512)
            || (long)T * (a.Rows + b.Rows) * a.Cols < ParallelMacs)
        {
            Forward(a, x, ya, T);
            Forward(b, x, yb, T);
            return;
        }
        if (x.Length < (long)T * a.Cols || ya.Length < (long)T * a.Rows || yb.Length < (long)T * b.Rows)
            throw new ArgumentException($"MatMul: x has {x.Length} values for (T={T}, {a.Cols}), outputs {ya.Length} / {yb.Length} for ({T}, {a.Rows}) / ({T}, {b.Rows})");
        fixed (float* px = x)
        fixed (float* pa = ya)
        fixed (float* pb = yb)
        {
            var ja = new Job { W = a, X = px, Y = pa, T = T, Path = MatMulPath.Rows };
            var jb = new Job { W = b, X = px, Y = pb, T = T, Path = MatMulPath.Rows };
            switch (a.DType)
            {
                case DType.F32: pool.ParallelFor((a.Rows + 3) / 4 + (b.Rows + 3) / 4, new Two<Vector512<float>, V512Ops, F32Load> { A = ja, B = jb }); break;
                case DType.BF16: pool.ParallelFor((a.Rows + 3) / 4 + (b.Rows + 3) / 4, new Two<Vector512<float>, V512Ops, Bf16Load> { A = ja, B = jb }); break;
                default: pool.ParallelFor((a.Rows + 3) / 4 + (b.Rows + 3) / 4, new Two<Vector512<float>, V512Ops, Fp8Load> { A = ja, B = jb }); break;
            }
        }
    }

    /// <summary>Items [0, na) are rows [4i, 4i + 4) of A, the rest of B.</summary>
    private struct Two<TV, TOps, TW> : IRangeBody
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        public Job A, B;

        public readonly void Run(int start, int end)
        {
            int na = (A.W.Rows + 3) / 4;
            if (start < na)
                MatMulRows.Run<TV, TOps, TW>(A.W, A.X, A.Y, A.T, start * 4, Math.Min(A.W.Rows, Math.Min(end, na) * 4));
            if (end > na)
                MatMulRows.Run<TV, TOps, TW>(B.W, B.X, B.Y, B.T, (Math.Max(start, na) - na) * 4, Math.Min(B.W.Rows, (end - na) * 4));
        }
    }

    private static void Dispatch<TV, TOps>(in Job job, WorkerPool? pool) where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        switch (job.W.DType)
        {
            case DType.F32: Dispatch<TV, TOps, F32Load>(job, pool); break;
            case DType.BF16: Dispatch<TV, TOps, Bf16Load>(job, pool); break;
            default: Dispatch<TV, TOps, Fp8Load>(job, pool); break;
        }
    }

    private static void Dispatch<TV, TOps, TW>(in Job job, WorkerPool? pool)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        var body = new Body<TV, TOps, TW> { Job = job };
        int items = job.Path == MatMulPath.Rows
            ? (job.W.Rows + 3) / 4
            : (job.W.Rows + MatMulGemm.PanelRows<TV, TOps>() - 1) / MatMulGemm.PanelRows<TV, TOps>();
        if (pool is null || pool.Threads == 1) body.Run(0, items);
        else pool.ParallelFor(items, body);
    }

    /// <summary>The arguments of one product, shared by the workers.</summary>
    private struct Job
    {
        public WeightView W;
        public float* X; // (T, W.Cols)
        public float* Y; // (T, W.Rows)
        public int T;
        public MatMulPath Path;
    }

    /// <summary>Work item i: rows [4i, 4i + 4) on the rows path, panel i on the GEMM path.</summary>
    private struct Body<TV, TOps, TW> : IRangeBody
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        public Job Job;

        public readonly void Run(int start, int end)
        {
            if (Job.Path == MatMulPath.Rows)
                MatMulRows.Run<TV, TOps, TW>(Job.W, Job.X, Job.Y, Job.T, start * 4, Math.Min(Job.W.Rows, end * 4));
            else
                MatMulGemm.Run<TV, TOps, TW>(Job.W, Job.X, Job.Y, Job.T, start, end);
        }
    }
}
