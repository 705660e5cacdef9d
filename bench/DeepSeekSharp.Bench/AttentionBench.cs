using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Bench;

/// <summary>
/// The compute of absorbed MLA decode attention for one token and layer, on a BF16 latent cache in the caches:
/// the scores of every head against every position (<see cref="LatentScores"/>, and the GEMM path it replaced) and the
/// latent mix (<see cref="WeightedRows"/>), each the fastest of many calls, as GFLOP/s against the FMA peak.
/// `DeepSeekSharp.Bench --attention [--positions S] [--threads N]`.
/// </summary>
internal static unsafe class AttentionBench
{
    public static void Run(int threads, int S, Rate fmaPeak)
    {
        const int H = 16, C = 512, W = 576;
        var q = new float[H * W];   // (H, W) queries in latent space and RoPE parts
        var m = new ushort[S * W];  // (S, W) cache rows
        var sc = new float[H * S];  // (H, S)
        var lat = new float[H * C]; // (H, C)
        var rng = new Random(3);
        for (int i = 0; i < q.Length; i++) q[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < m.Length; i++) m[i] = BFloat16.FromSingle((float)(rng.NextDouble() - 0.5));
        var pool = WorkerPool.Shared;
        fixed (float* pq = q, ps = sc, pl = lat)
        fixed (ushort* pm = m)
        {
            var rows = new WeightView(DType.BF16, (byte*)pm, S, W);
            double flopScores = 2.0 * H * S * W, flopMix = 2.0 * H * S * C;
            var scores = new Scores { Q = pq, M = (byte*)pm, Out = ps, S = S };
            var mixBody = new Mix { P = ps, M = (byte*)pm, Out = pl, S = S };
            WukBench(DType.F8_E4M3);
            WukBench(DType.BF16);
            foreach (bool cold in new[] { false, true })
            {
                // Cold: a 96 MiB read before each call evicts the cache rows from L3, as a decode step's weights do.
                var gemm = Best(() => MatMul.Forward(rows, q, sc, H, Simd.Best, MatMulPath.Gemm, pool), cold);
                var fused = Best(() => pool.ParallelFor((S + 31) / 32, scores), cold);
                var both = Best(() => { pool.ParallelFor((S + 31) / 32, scores); pool.ParallelFor(C / 64, mixBody); }, cold);
                var mix = Best(() => pool.ParallelFor(C / 64, mixBody), cold);
                Console.WriteLine($"absorbed attention, {H} heads x {S} positions, BF16 cache {(cold ? "evicted before each call" : "in the caches")}, {threads} threads (fastest of {Calls(cold)} calls):");
                Report("scores, GEMM path (packs the rows)", gemm, flopScores, fmaPeak);
                Report("scores, LatentScores", fused, flopScores, fmaPeak);
                Report("latent mix, WeightedRows", mix, flopMix, fmaPeak);
                Report("scores then mix", both, flopScores + flopMix, fmaPeak);
            }
        }
    }

    /// <summary>W_UK's fold of every head's q_nope into latent space (16 heads x 128 rows x 512 FP8 columns), one thread, hot.</summary>
    private static void WukBench(DType dtype)
    {
        const int heads = 16, dn = 128, dv = 128, C = 512;
        int rows = heads * (dn + dv);
        var rng = new Random(4);
        var w = new float[rows * C];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() - 0.5) * 0.02f;
        var (q8, sc8) = Fp8BlockQuant.Quantize(w, rows, C);
        var bf = new ushort[w.Length];
        BFloat16.FromSingle(w, bf);
        var coef = Enumerable.Range(0, dn).Select(i => (float)Math.Sin(i)).ToArray();
        var acc = new float[C];
        fixed (byte* pq = q8)
        fixed (float* ps = sc8)
        fixed (ushort* pb = bf)
        {
            var view = dtype == DType.BF16 ? new WeightView(DType.BF16, (byte*)pb, rows, C) : new WeightView(DType.F8_E4M3, pq, rows, C, ps);
            var one = Best(() => { for (int h = 0; h < heads; h++) { acc.AsSpan().Clear(); DeepSeekSharp.Modeling.WeightRows.Accumulate(view, h * (dn + dv), coef, acc); } }, false);
            Console.WriteLine($"W_UK (16 heads x 128 x 512 {dtype}), one thread, in the caches: {one * 1e6:F1} us ({heads * dn * C * DTypes.SizeOf(dtype) / one / 1e9:F1} GB/s)");
        }
    }

    private static void Report(string name, double sec, double flop, Rate peak) =>
        Console.WriteLine($"  {name,-38} {sec * 1e6,7:F1} us  {flop / sec / 1e9,6:F1} GFLOP/s  {flop / sec / 1e9 / peak.Wall,5:P0} of FMA peak");

    private static int Calls(bool cold) => cold ? 60 : 300;

    private static readonly float[] Evict = new float[24 << 20];

    private static double Best(Action run, bool cold)
    {
        for (int i = 0; i < 20; i++) run();
        double best = double.MaxValue, sink = 0;
        for (int i = 0; i < Calls(cold); i++)
        {
            if (cold) WorkerPool.Shared.ParallelFor(16, new EvictBody()); // on every thread: the workers stay awake, as between a step's regions
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, (System.Diagnostics.Stopwatch.GetTimestamp() - t0) / (double)System.Diagnostics.Stopwatch.Frequency);
        }
        GC.KeepAlive(sink);
        return best;
    }

    private struct EvictBody : IRangeBody
    {
        public readonly void Run(int start, int end)
        {
            int n = Evict.Length / 16;
            fixed (float* e = Evict) GC.KeepAlive(BandwidthProbe.Sum(e + (nint)start * n, (long)(end - start) * n));
        }
    }

    private struct Scores : IRangeBody
    {
        public float* Q, Out;
        public byte* M;
        public int S;
        public readonly void Run(int start, int end) => LatentScores.Run(Q, 576, 16, M, true, 576, 576, Out, S, start * 32, Math.Min(S, end * 32));
    }

    private struct Mix : IRangeBody
    {
        public float* P, Out;
        public byte* M;
        public int S;
        public readonly void Run(int start, int end) => WeightedRows.Run(P, S, 16, M, true, 576, S, Out, 512, start * 64, end * 64);
    }
}
