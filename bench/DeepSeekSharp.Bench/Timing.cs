using System.Diagnostics;

namespace DeepSeekSharp.Bench;

/// <summary>
/// Seconds of one measured run: wall clock, and process CPU time divided by the threads used. On a machine
/// shared with other processes the CPU-time figure is what the run would take on dedicated cores.
/// </summary>
internal readonly record struct Timing(double Wall, double Cpu)
{
    public static Timing Measure(int threads, Action run)
    {
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        run();
        double wall = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds / threads;
        return new Timing(wall, Math.Max(cpu, 1e-9));
    }

    /// <summary>The faster of two timings, each clock on its own.</summary>
    public static Timing Best(Timing a, Timing b) => new(Math.Min(a.Wall, b.Wall), Math.Min(a.Cpu, b.Cpu));

    public static readonly Timing Worst = new(double.MaxValue, double.MaxValue);

    public Timing Per(int calls) => new(Wall / calls, Cpu / calls);
}

/// <summary>A rate (per second) by the wall clock and by CPU time.</summary>
internal readonly record struct Rate(double Wall, double Cpu)
{
    public static Rate Of(double work, Timing t) => new(work / t.Wall, work / t.Cpu);
    public Rate Over(Rate limit) => new(Wall / limit.Wall, Cpu / limit.Cpu);
}
