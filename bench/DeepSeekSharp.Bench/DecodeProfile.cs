using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Bench;

/// <summary>
/// Where a batch-1 decode step of a real checkpoint spends its time: the whole step, then each part alone (attention
/// per layer, dense MLP, MoE with the experts the gate chose, output head), each as GB/s of the weight bytes it reads
/// and as a fraction of the measured bandwidth. `DeepSeekSharp.Bench --model DIR [--steps N]`.
/// </summary>
internal static class DecodeProfile
{
    public static void Run(string dir, int steps, int threads, Rate bandwidth, WeightResidence residence)
    {
        using var t = Transformer.Load(dir, residence);
        Console.WriteLine($"weights {t.Weights.Checkpoint.Residence.Describe()}; this process's 2 MiB pages: {LargePageBuffer.ProcessHugePageBytes() / 1e9:F2} GB");
        var c = t.Config;
        int dim = c.HiddenSize;
        var rng = new Random(1);
        var cache = t.NewCache(steps + 64);
        var prompt = Enumerable.Range(0, 32).Select(_ => rng.Next(c.VocabSize)).ToArray();
        t.Forward(prompt, 0, cache);
        cache.SetLength(prompt.Length);

        // The whole step.
        // The whole step as `dss bench` and the generator run it (ForwardLast: pooled scratch, logits reused).
        var tok = new int[1];
        var stepLogits = new float[c.VocabSize];
        var whole = Timing.Measure(threads, () =>
        {
            for (int s = 0; s < steps; s++)
            {
                tok[0] = rng.Next(c.VocabSize);
                t.ForwardLast(tok, cache, stepLogits);
            }
        }).Per(steps);
        Console.WriteLine($"whole decode step: {whole.Wall * 1e3:F2} ms wall / {whole.Cpu * 1e3:F2} ms cpu ({1 / whole.Wall:F1} tok/s)");

        var xs = new float[steps][]; // steps x (1, dim): different inputs so the MoE routes to different experts
        for (int s = 0; s < steps; s++) xs[s] = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        double total = 0;
        void Part(string name, double bytes, Action<float[]> run)
        {
            int i = 0;
            var tm = Timing.Measure(threads, () => { for (int s = 0; s < steps; s++) run(xs[i++ % steps]); }).Per(steps);
            var r = Rate.Of(bytes / 1e9, tm).Over(bandwidth);
            total += tm.Wall;
            Console.WriteLine($"{name,-28} {tm.Wall * 1e3,7:F2} ms wall / {tm.Cpu * 1e3,7:F2} ms cpu  {bytes / 1e6,8:F1} MB  {bytes / 1e9 / tm.Wall,6:F1} GB/s  {r.Wall,5:P0} / {r.Cpu,5:P0} of bandwidth");
        }

        foreach (var b in t.Layers)
        {
            var a = b.Attn;
            double attnBytes = new[] { a.Wq, a.WqA, a.WqB, a.WkvA, a.WkvB, a.Wo }.Where(l => l is not null).Sum(l => (double)l!.Weight.ByteLength);
            var lc = cache.Layer(b.LayerId);
            int len = cache.Length;
            Part($"layer {b.LayerId} attention ({len} pos)", attnBytes, x => a.Forward(x, 1, len - 1, lc));
            if (b.Mlp is { } m)
                Part($"layer {b.LayerId} dense MLP", (double)m.W1.Weight.ByteLength * 3, x => m.Forward(x, 1));
            if (b.Moe is { } moe)
            {
                double shared = moe.SharedExperts is { } se ? (double)se.W1.Weight.ByteLength * 3 : 0;
                double expert = (double)moe.Experts[0].W1.Weight.ByteLength * 3;
                Part($"layer {b.LayerId} MoE ({c.NumExpertsPerTok}+{c.NSharedExperts} experts)", shared + expert * c.NumExpertsPerTok, x => moe.Forward(x, 1));
            }
        }
        var logits = new float[c.VocabSize];
        Part("output head", t.Head.Weight.ByteLength, x => t.Head.Forward(x, logits, 1));
        Console.WriteLine($"sum of the parts: {total * 1e3:F2} ms; the rest of the step (norms, embedding, routing outside the MoE, cache): {(whole.Wall - total) * 1e3:F2} ms");
    }
}
