using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Bench;

/// <summary>
/// Batch-1 decode of one checkpoint loaded twice, its weights resident in 2 MiB-page memory and memory-mapped,
/// measured in alternating rounds (so both see the same neighbours on a shared machine), with the bandwidth probe
/// between rounds. `DeepSeekSharp.Bench --model DIR --compare-residence [--steps N]`.
/// </summary>
internal static class ResidenceCompare
{
    public static void Run(string dir, int steps, int threads, int rounds = 6)
    {
        using var mem = Transformer.Load(dir, WeightResidence.Memory);
        using var map = Transformer.Load(dir, WeightResidence.Mapped);
        DeepSeekSharp.Benchmarking.WeightPages.Touch(map.Weights.Checkpoint);
        var c = mem.Config;
        var rng = new Random(1);
        var logits = new float[c.VocabSize];
        var tok = new int[1];
        var caches = new[] { mem.NewCache(rounds * steps + 8), map.NewCache(rounds * steps + 8) };
        var models = new[] { mem, map };
        double[] best = [double.MaxValue, double.MaxValue], sum = [0, 0];
        var pool = WorkerPool.Shared;
        Console.WriteLine($"{"round",5} {"probe GB/s",10} {"memory tok/s",13} {"mmap tok/s",11}");
        for (int r = 0; r < rounds; r++)
        {
            double bw = DeepSeekSharp.Benchmarking.MachineProbe.ReadBandwidth(pool, 512L << 20, 2);
            var line = new double[2];
            for (int m = 0; m < 2; m++)
            {
                var t = Timing.Measure(threads, () =>
                {
                    for (int s = 0; s < steps; s++)
                    {
                        tok[0] = rng.Next(c.VocabSize);
                        models[m].ForwardLast(tok, caches[m], logits);
                    }
                }).Per(steps);
                line[m] = 1 / t.Wall;
                best[m] = Math.Min(best[m], t.Wall);
                sum[m] += t.Wall;
            }
            Console.WriteLine($"{r,5} {bw,10:F1} {line[0],13:F2} {line[1],11:F2}");
        }
        Console.WriteLine($"best  {"",10} {1 / best[0],13:F2} {1 / best[1],11:F2}   (memory / mmap {best[1] / best[0]:F2}x)");
        Console.WriteLine($"mean  {"",10} {rounds / sum[0],13:F2} {rounds / sum[1],11:F2}   (memory / mmap {sum[1] / sum[0]:F2}x)");
    }
}
