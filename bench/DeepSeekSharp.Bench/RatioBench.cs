using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Bench;

/// <summary>
/// Decode products as a fraction of the bandwidth measured right before each of them: rounds of (probe, product),
/// so a neighbour's load that comes and goes moves both figures of a round together. Reports each shape's median
/// fraction over the rounds. `DeepSeekSharp.Bench --ratio [--rounds N] [--threads N]`.
/// </summary>
internal static class RatioBench
{
    public static void Run(int threads, int rounds)
    {
        (int Rows, int Cols, DType DType)[] cases =
        [
            (7168, 2048, DType.BF16), (7168, 2048, DType.F8_E4M3), (2048, 7168, DType.BF16), (2048, 7168, DType.F8_E4M3),
            (7168, 576, DType.F8_E4M3), (1408, 2048, DType.F8_E4M3), (7168, 2048, DType.F32),
        ];
        var pool = WorkerPool.Shared;
        Console.WriteLine($"{"shape (out x in) dtype",-24} {"median",7} {"min",6} {"max",6}   per round: product GB/s / probe GB/s");
        foreach (var (rows, cols, dt) in cases)
        {
            using var ws = new WeightSet(dt, rows, cols, 512L << 20, rows + cols);
            var x = new float[cols];
            var y = new float[rows];
            for (int i = 0; i < cols; i++) x[i] = (i % 7 - 3) * 0.1f;
            var fr = new List<double>();
            var text = new List<string>();
            for (int r = 0; r < rounds; r++)
            {
                double bw = DeepSeekSharp.Benchmarking.MachineProbe.ReadBandwidth(pool, 512L << 20, 2);
                double gbs = ws.Views[0].ByteLength / 1e9 / KernelBench.TimeProduct(ws, x, y, 1, threads, 0.15).Wall;
                fr.Add(gbs / bw);
                text.Add($"{gbs:F0}/{bw:F0}");
            }
            fr.Sort();
            Console.WriteLine($"{rows,6} x {cols,-6} {dt,-8} {fr[fr.Count / 2],7:P0} {fr[0],6:P0} {fr[^1],6:P0}   {string.Join(" ", text)}");
        }
    }
}
