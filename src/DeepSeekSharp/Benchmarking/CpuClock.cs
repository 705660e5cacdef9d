using System.Diagnostics;

namespace DeepSeekSharp.Benchmarking;

/// <summary>A rate (per second) by the wall clock and by CPU time divided by the threads used.</summary>
public readonly record struct CpuRate(double Wall, double Cpu)
{
    public CpuRate Max(CpuRate o) => new(Math.Max(Wall, o.Wall), Math.Max(Cpu, o.Cpu));
}

/// <summary>
/// Wall clock and process CPU time of one measured interval. On a machine shared with other processes the
/// CPU-time figure (CPU seconds / threads) is what the interval would take on dedicated cores; the CPU share
/// (CPU seconds / (wall seconds x threads)) says how much of the cores the run got. Spinning waits count as CPU time.
/// </summary>
public readonly struct CpuClock
{
    private readonly long _start;
    private readonly TimeSpan _cpu0;
    private readonly int _threads;

    private CpuClock(int threads)
    {
        _threads = Math.Max(1, threads);
        _cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        _start = Stopwatch.GetTimestamp();
    }

    public static CpuClock Start(int threads) => new(threads);

    /// <summary>Seconds since Start: (wall, CPU time / threads).</summary>
    public (double Wall, double Cpu) Elapsed()
    {
        double wall = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu0).TotalSeconds / _threads;
        return (Math.Max(wall, 1e-9), Math.Max(cpu, 1e-9));
    }

    /// <summary>work per second by each clock.</summary>
    public CpuRate Rate(double work)
    {
        var (wall, cpu) = Elapsed();
        return new CpuRate(work / wall, work / cpu);
    }
}
