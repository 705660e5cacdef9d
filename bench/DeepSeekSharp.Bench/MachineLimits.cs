using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Bench;

/// <summary>The machine's physical limits, measured: DRAM read bandwidth and F32 FMA peak.</summary>
internal static unsafe class MachineLimits
{
    /// <summary>
    /// STREAM-like read: sums a buffer of the given size (far larger than the caches) with 512-bit loads, split
    /// over the pool's threads. Best of reps, in GB/s (1e9 bytes).
    /// </summary>
    public static double ReadBandwidth(float* buf, long floats, WorkerPool pool, int reps = 5)
    {
        double best = 0;
        for (int r = 0; r < reps; r++)
        {
            var body = new ReadBody { Buf = buf, Floats = floats, Parts = 64 };
            var sw = Stopwatch.StartNew();
            pool.ParallelFor(body.Parts, body);
            double s = sw.Elapsed.TotalSeconds;
            best = Math.Max(best, floats * 4.0 / s / 1e9);
        }
        return best;
    }

    private struct ReadBody : IRangeBody
    {
        public float* Buf;
        public long Floats;
        public int Parts;
        public static float Sink;

        public readonly void Run(int start, int end)
        {
            long per = Floats / Parts / 64 * 64;
            Sink += Sum(Buf + start * per, (end - start) * per);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float Sum(float* p, long n)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (long i = 0; i < n; i += 64)
        {
            a0 += Vector512.Load(p + i);
            a1 += Vector512.Load(p + i + 16);
            a2 += Vector512.Load(p + i + 32);
            a3 += Vector512.Load(p + i + 48);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3);
    }

    /// <summary>F32 FMA peak: 16 independent register-resident Vector512 FMA chains per thread, in GFLOP/s.</summary>
    public static double FmaPeak(WorkerPool pool, long iters = 40_000_000, int reps = 3)
    {
        double best = 0;
        for (int r = 0; r < reps; r++)
        {
            var body = new FmaBody { Iters = iters };
            var sw = Stopwatch.StartNew();
            pool.ParallelFor(pool.Threads, body);
            double s = sw.Elapsed.TotalSeconds;
            best = Math.Max(best, pool.Threads * iters * 16.0 * 16 * 2 / s / 1e9);
        }
        return best;
    }

    private struct FmaBody : IRangeBody
    {
        public long Iters;
        public static float Sink;

        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Sink += FmaChains(Iters);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float FmaChains(long iters)
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
        var s = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15));
        return Vector512.Sum(s);
    }

    /// <summary>A 64-byte aligned native buffer of the given floats, every page touched.</summary>
    public static float* Alloc(long floats)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(floats * 4), 64);
        for (long i = 0; i < floats; i += 1024) p[i] = 1f / (1 + (i & 1023));
        return p;
    }
}
