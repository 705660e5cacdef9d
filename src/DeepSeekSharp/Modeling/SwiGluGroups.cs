using System.Buffers;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// One SwiGLU MLP applied to N rows: X (N, dim) at XOff -> H (N, inter) at HOff -> Y (N, dim) at YOff.
/// In MoE, one group per active expert (its gathered tokens) plus one for the shared experts.
/// </summary>
internal struct SwiGluGroup
{
    public Mlp Mlp;
    public float[] X;
    public int XOff;
    public int N;
    public float[] H;
    public int HOff;
    public float[] Y;
    public int YOff;
}

/// <summary>
/// Runs several SwiGLU MLPs (experts) in two parallel phases over the worker pool: (A) for every group and every
/// chunk of intermediate rows, g = x @ w1^T and u = x @ w3^T on that chunk, then h = silu(g) * u (gate/up fused with
/// the activation, each weight chunk read once for all of the group's tokens); (B) for every group and chunk of
/// output rows, y = h @ w2^T. One parallel region per phase for all experts together, rather than three per
/// expert, keeps both cores busy on small experts. Each chunk uses the GEMV/small-batch kernel for few tokens and
/// the GEMM kernel for many. Results equal the per-expert <see cref="Mlp"/> product row for row.
/// </summary>
internal static class SwiGluGroups
{
    /// <summary>Weight rows per work item (a multiple of the FP8 block, so chunks start on a scale row).</summary>
    public const int ChunkRows = 128;

    public static void Run(ReadOnlySpan<SwiGluGroup> groups)
    {
        if (groups.Length == 0) return;
        var g = ArrayPool<SwiGluGroup>.Shared.Rent(groups.Length);
        var starts = ArrayPool<int>.Shared.Rent(groups.Length + 1);
        try
        {
            groups.CopyTo(g);
            for (int phase = 0; phase < 2; phase++)
            {
                int items = 0;
                for (int i = 0; i < groups.Length; i++)
                {
                    starts[i] = items;
                    int rows = phase == 0 ? groups[i].Mlp.Inter : groups[i].Mlp.W2.OutFeatures;
                    items += groups[i].N == 0 ? 0 : (rows + ChunkRows - 1) / ChunkRows;
                }
                starts[groups.Length] = items;
                var body = new Body { Groups = g, Starts = starts, Count = groups.Length, Phase = phase };
                if (items == 1 || WorkerPool.Shared.Threads == 1) body.Run(0, items);
                else WorkerPool.Shared.ParallelFor(items, body);
            }
        }
        finally
        {
            Array.Clear(g, 0, groups.Length); // drop references to the caller's buffers
            ArrayPool<SwiGluGroup>.Shared.Return(g);
            ArrayPool<int>.Shared.Return(starts);
        }
    }

    private struct Body : IRangeBody
    {
        public SwiGluGroup[] Groups;
        public int[] Starts;
        public int Count;
        public int Phase;

        public readonly void Run(int start, int end)
        {
            int gi = 0;
            for (int item = start; item < end; item++)
            {
                while (Starts[gi + 1] <= item) gi++;
                var grp = Groups[gi];
                int chunk = item - Starts[gi];
                if (Phase == 0) GateUp(grp, chunk);
                else Down(grp, chunk);
            }
        }
    }

    /// <summary>h[:, r0:r1] = silu(x @ w1[r0:r1]^T) * (x @ w3[r0:r1]^T).</summary>
    private static void GateUp(in SwiGluGroup g, int chunk)
    {
        var m = g.Mlp;
        int dim = m.W1.InFeatures, inter = m.Inter, N = g.N;
        int r0 = chunk * ChunkRows, r1 = Math.Min(inter, r0 + ChunkRows), cr = r1 - r0;
        using var gate = new PooledBuffer<float>(N * cr); // (N, cr)
        using var up = new PooledBuffer<float>(N * cr);   // (N, cr)
        var x = g.X.AsSpan(g.XOff, N * dim);
        MatMul.Forward(m.W1.Weight.RowSlice(r0, r1), x, gate.Span, N, Simd.Best, MatMulPath.Auto, null);
        MatMul.Forward(m.W3.Weight.RowSlice(r0, r1), x, up.Span, N, Simd.Best, MatMulPath.Auto, null);
        for (int t = 0; t < N; t++)
            Ops.SiluMul(gate.Span.Slice(t * cr, cr), up.Span.Slice(t * cr, cr), g.H.AsSpan(g.HOff + t * inter + r0, cr));
    }

    /// <summary>y[:, r0:r1] = h @ w2[r0:r1]^T.</summary>
    private static void Down(in SwiGluGroup g, int chunk)
    {
        var m = g.Mlp;
        int dim = m.W2.OutFeatures, inter = m.Inter, N = g.N;
        int r0 = chunk * ChunkRows, r1 = Math.Min(dim, r0 + ChunkRows), cr = r1 - r0;
        var h = g.H.AsSpan(g.HOff, N * inter);
        if (N == 1)
        {
            MatMul.Forward(m.W2.Weight.RowSlice(r0, r1), h, g.Y.AsSpan(g.YOff + r0, cr), 1, Simd.Best, MatMulPath.Auto, null);
            return;
        }
        using var y = new PooledBuffer<float>(N * cr); // (N, cr)
        MatMul.Forward(m.W2.Weight.RowSlice(r0, r1), h, y.Span, N, Simd.Best, MatMulPath.Auto, null);
        for (int t = 0; t < N; t++) y.Span.Slice(t * cr, cr).CopyTo(g.Y.AsSpan(g.YOff + t * dim + r0, cr));
    }
}
