using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSeekSharp.Numerics;

/// <summary>The result of one bandwidth probe: the best pass, in GB/s (10^9 bytes per second).</summary>
public sealed record BandwidthMeasurement(long BufferBytes, int Passes, int Threads, double BestGBps, double MeanGBps, double Checksum);

/// <summary>
/// A STREAM-like read probe: sums a buffer much larger than the caches (default 1 GiB) with Vector512/Vector256
/// loads on every core, a few passes (alternately one and four streams per thread), and reports the best pass. This is how decode's memory bound is measured:
/// decode streams weights from DRAM, so read bandwidth (not copy or triad) is the figure that matters.
/// </summary>
public static unsafe class BandwidthProbe
{
    public const long DefaultBufferBytes = 1L << 30;

    public static BandwidthMeasurement Measure(long bufferBytes = DefaultBufferBytes, int passes = 3, int threads = 0)
    {
        if (bufferBytes < 4096) throw new DssException($"bandwidth probe buffer must be at least 4096 bytes, got {bufferBytes}");
        if (passes < 1) throw new DssException($"bandwidth probe passes must be at least 1, got {passes}");
        if (threads <= 0) threads = Environment.ProcessorCount;
        long floats = bufferBytes / sizeof(float) / 64 * 64;
        float* buffer = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        try
        {
            // Touch every page (and give the sum something to add) before timing.
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var (start, count) = Slice(floats, threads, t);
                for (long done = 0; done < count; done += 1 << 24)
                    new Span<float>(buffer + start + done, (int)Math.Min(1 << 24, count - done)).Fill(1f / 1024);
            });
            double best = 0, total = 0, checksum = 0;
            var partial = new double[threads];
            for (int pass = 0; pass < passes; pass++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    var (start, count) = Slice(floats, threads, t);
                    partial[t] = pass % 2 == 1 ? Sum4Streams(buffer + start, count) : Sum(buffer + start, count);
                });
                double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                double gbps = floats * (double)sizeof(float) / seconds / 1e9;
                best = Math.Max(best, gbps);
                total += gbps;
                checksum = partial.Sum();
            }
            return new BandwidthMeasurement(floats * sizeof(float), passes, threads, best, total / passes, checksum);
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>The part of <paramref name="n"/> floats (in whole 64-float blocks) that thread <paramref name="t"/> reads.</summary>
    private static (long Start, long Count) Slice(long n, int threads, int t)
    {
        long blocks = n / 64, per = blocks / threads, extra = blocks % threads;
        long startBlock = t * per + Math.Min(t, extra);
        long count = per + (t < extra ? 1 : 0);
        return (startBlock * 64, count * 64);
    }

    /// <summary>Sum of <paramref name="count"/> floats (a multiple of 64), four independent accumulators to keep loads in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Sum(float* p, long count)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (long i = 0; i < count; i += 64)
            {
                a0 += Vector512.Load(p + i);
                a1 += Vector512.Load(p + i + 16);
                a2 += Vector512.Load(p + i + 32);
                a3 += Vector512.Load(p + i + 48);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (long i = 0; i < count; i += 32)
            {
                a0 += Vector256.Load(p + i);
                a1 += Vector256.Load(p + i + 8);
                a2 += Vector256.Load(p + i + 16);
                a3 += Vector256.Load(p + i + 24);
            }
            return Vector256.Sum(a0 + a1 + a2 + a3);
        }
        return SumScalar(p, count);
    }

    /// <summary>
    /// Sum of <paramref name="count"/> floats (a multiple of 64) read as four concurrent streams, one per quarter,
    /// each with its own accumulator. Some memory systems serve several streams per core faster than one (more
    /// requests in flight); the probe takes the better of this and <see cref="Sum"/>, so the bound is not understated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Sum4Streams(float* p, long count)
    {
        long q = count / 4;
        float* p1 = p + q, p2 = p + 2 * q, p3 = p + 3 * q;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (long i = 0; i < q; i += 16)
            {
                a0 += Vector512.Load(p + i);
                a1 += Vector512.Load(p1 + i);
                a2 += Vector512.Load(p2 + i);
                a3 += Vector512.Load(p3 + i);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (long i = 0; i < q; i += 8)
            {
                a0 += Vector256.Load(p + i);
                a1 += Vector256.Load(p1 + i);
                a2 += Vector256.Load(p2 + i);
                a3 += Vector256.Load(p3 + i);
            }
            return Vector256.Sum(a0 + a1 + a2 + a3);
        }
        return SumScalar(p, count);
    }

    /// <summary>The plain twin of <see cref="Sum"/> and <see cref="Sum4Streams"/>.</summary>
    internal static double SumScalar(float* p, long count)
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (long i = 0; i < count; i += 4)
        {
            s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3];
        }
        return s0 + s1 + s2 + s3;
    }
}
