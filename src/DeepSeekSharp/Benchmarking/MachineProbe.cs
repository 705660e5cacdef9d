using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Benchmarking;

/// <summary>
/// This machine's physical limits, measured on the kernels' worker pool: DRAM read bandwidth (a STREAM-like sum
/// over a buffer far larger than the caches) and the F32 FMA peak (independent register-resident FMA chains).
/// The same method as bench/DeepSeekSharp.Bench's MachineLimits, in the library so `dss bench` reports against it,
/// with a 256-bit path when AVX-512 is off.
/// </summary>
public static unsafe class MachineProbe
{
    /// <summary>Read bandwidth in GB/s (1e9 bytes), best of reps, over a fresh buffer of the given bytes.</summary>
    public static double ReadBandwidth(WorkerPool pool, long bytes = 1L << 30, int reps = 5) => ReadBandwidthRates(pool, bytes, reps).Wall;

    /// <summary>F32 FMA peak in GFLOP/s over the pool's threads (2 FLOP per lane per FMA), best of reps.</summary>
    public static double FmaPeak(WorkerPool pool, double seconds = 0.3, int reps = 3) => FmaPeakRates(pool, seconds, reps).Wall;

    /// <summary>
    /// Read bandwidth in GB/s by the wall clock and by CPU time (what dedicated cores would read), each the best of
    /// reps passes with one stream per thread and reps with four (<see cref="BandwidthProbe.Sum4Streams"/>).
    /// </summary>
    public static CpuRate ReadBandwidthRates(WorkerPool pool, long bytes = 1L << 30, int reps = 5)
    {
        long floats = bytes / 4 / 4096 * 4096;
        if (floats <= 0) throw new ArgumentOutOfRangeException(nameof(bytes));
        // 2 MiB pages where the OS gives them, as resident weights get: the machine's best, not its TLB's.
        using var mem = new LargePageBuffer(floats * 4);
        var buf = (float*)mem.Pointer;
        {
            var init = new InitBody { Buf = buf, Floats = floats, Parts = 64 };
            pool.ParallelFor(init.Parts, init); // touch every page (first touch from the pool's threads)
            var best = new CpuRate(0, 0);
            for (int r = 0; r < 2 * reps; r++)
            {
                var body = new ReadBody { Buf = buf, Floats = floats, Parts = 64, FourStreams = r % 2 == 1 };
                var clock = CpuClock.Start(pool.Threads);
                pool.ParallelFor(body.Parts, body);
                best = best.Max(clock.Rate(body.BytesRead / 1e9));
            }
            return best;
        }
    }

    /// <summary>F32 FMA peak in GFLOP/s by the wall clock and by CPU time, each the best of reps.</summary>
    public static CpuRate FmaPeakRates(WorkerPool pool, double seconds = 0.3, int reps = 3)
    {
        long iters = 1_000_000;
        // Calibrate so one rep takes about the given seconds on one thread.
        var sw = Stopwatch.StartNew();
        FmaChains(iters);
        double t = Math.Max(1e-6, sw.Elapsed.TotalSeconds);
        iters = Math.Max(100_000, (long)(iters * seconds / t));
        var best = new CpuRate(0, 0);
        int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
        for (int r = 0; r < reps; r++)
        {
            var body = new FmaBody { Iters = iters };
            var clock = CpuClock.Start(pool.Threads);
            pool.ParallelFor(pool.Threads, body);
            best = best.Max(clock.Rate(pool.Threads * iters * 16.0 * lanes * 2 / 1e9));
        }
        return best;
    }

    private struct InitBody : IRangeBody
    {
        public float* Buf;
        public long Floats;
        public int Parts;

        public readonly void Run(int start, int end)
        {
            long per = Floats / Parts;
            long from = start * per, to = end == Parts ? Floats : end * per;
            for (long i = from; i < to; i++) Buf[i] = 1f / (1 + (i & 1023));
        }
    }

    private struct ReadBody : IRangeBody
    {
        public float* Buf;
        public long Floats;
        public int Parts;
        public bool FourStreams;
        public static float Sink;

        /// <summary>Floats per part: whole 256-float groups, so both read patterns cover the same bytes.</summary>
        private readonly long Per => Floats / Parts / 256 * 256;

        public readonly double BytesRead => Per * Parts * 4.0;

        public readonly void Run(int start, int end)
        {
            long per = Per;
            for (int part = start; part < end; part++)
                Sink += FourStreams ? (float)BandwidthProbe.Sum4Streams(Buf + part * per, per) : Sum(Buf + part * per, per);
        }
    }

    /// <summary>The read loop of the bandwidth probe (shared with `dss cost decode --this-machine`).</summary>
    private static float Sum(float* p, long n) => (float)BandwidthProbe.Sum(p, n);

    private struct FmaBody : IRangeBody
    {
        public long Iters;
        public static float Sink;

        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Sink += FmaChains(Iters);
        }
    }

    /// <summary>16 independent FMA chains of the widest vectors (enough to cover FMA latency x 2 ports).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float FmaChains(long iters)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(0.999999f);
            var d = Vector512.Create(1e-7f);
            Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            Vector512<float> c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
            for (long i = 0; i < iters; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, d); c1 = Vector512.FusedMultiplyAdd(c1, m, d);
                c2 = Vector512.FusedMultiplyAdd(c2, m, d); c3 = Vector512.FusedMultiplyAdd(c3, m, d);
                c4 = Vector512.FusedMultiplyAdd(c4, m, d); c5 = Vector512.FusedMultiplyAdd(c5, m, d);
                c6 = Vector512.FusedMultiplyAdd(c6, m, d); c7 = Vector512.FusedMultiplyAdd(c7, m, d);
                c8 = Vector512.FusedMultiplyAdd(c8, m, d); c9 = Vector512.FusedMultiplyAdd(c9, m, d);
                c10 = Vector512.FusedMultiplyAdd(c10, m, d); c11 = Vector512.FusedMultiplyAdd(c11, m, d);
                c12 = Vector512.FusedMultiplyAdd(c12, m, d); c13 = Vector512.FusedMultiplyAdd(c13, m, d);
                c14 = Vector512.FusedMultiplyAdd(c14, m, d); c15 = Vector512.FusedMultiplyAdd(c15, m, d);
            }
            return Vector512.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15)));
        }
        else
        {
            var m = Vector256.Create(0.999999f);
            var d = Vector256.Create(1e-7f);
            Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            Vector256<float> c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
            for (long i = 0; i < iters; i++)
            {
                c0 = Vector256.FusedMultiplyAdd(c0, m, d); c1 = Vector256.FusedMultiplyAdd(c1, m, d);
                c2 = Vector256.FusedMultiplyAdd(c2, m, d); c3 = Vector256.FusedMultiplyAdd(c3, m, d);
                c4 = Vector256.FusedMultiplyAdd(c4, m, d); c5 = Vector256.FusedMultiplyAdd(c5, m, d);
                c6 = Vector256.FusedMultiplyAdd(c6, m, d); c7 = Vector256.FusedMultiplyAdd(c7, m, d);
                c8 = Vector256.FusedMultiplyAdd(c8, m, d); c9 = Vector256.FusedMultiplyAdd(c9, m, d);
                c10 = Vector256.FusedMultiplyAdd(c10, m, d); c11 = Vector256.FusedMultiplyAdd(c11, m, d);
                c12 = Vector256.FusedMultiplyAdd(c12, m, d); c13 = Vector256.FusedMultiplyAdd(c13, m, d);
                c14 = Vector256.FusedMultiplyAdd(c14, m, d); c15 = Vector256.FusedMultiplyAdd(c15, m, d);
            }
            return Vector256.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15)));
        }
    }
}
