using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Bench;

/// <summary>
/// Where a batch-1 decode step of a real checkpoint spends its time: the whole step; the step taken apart in its own
/// order, each segment timed where it runs (<see cref="InStep"/>); wkv_b's per-head products and the worker pool's cost
/// per parallel region; then each part alone from cold caches (attention per layer, dense MLP, MoE with the experts
/// the gate chose, output head), as GB/s of the weight bytes it reads and as a fraction of the measured bandwidth.
/// `DeepSeekSharp.Bench --model DIR [--steps N]`; environment: DSS_PROFILE_PROMPT (cache positions before the
/// measured steps, default 32), DSS_PROFILE_SPLIT=1 (time attention's q, kv_a and o products alone before each attention).
/// </summary>
internal static class DecodeProfile
{
    public static unsafe void Run(string dir, int steps, int threads, Rate bandwidth, WeightResidence residence)
    {
        using var t = Transformer.Load(dir, residence);
        Console.WriteLine($"weights {t.Weights.Checkpoint.Residence.Describe()}; this process's 2 MiB pages: {LargePageBuffer.ProcessHugePageBytes() / 1e9:F2} GB");
        var c = t.Config;
        int dim = c.HiddenSize;
        var rng = new Random(1);
        var cache = t.NewCache(3 * steps + 64 + (int.TryParse(Environment.GetEnvironmentVariable("DSS_PROFILE_PROMPT"), out int pc) ? pc : 32));
        int promptLen = int.TryParse(Environment.GetEnvironmentVariable("DSS_PROFILE_PROMPT"), out int pl) ? pl : 32;
        var prompt = Enumerable.Range(0, promptLen).Select(_ => rng.Next(c.VocabSize)).ToArray();
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

        InStep(t, cache, steps, rng, bandwidth);
        {
            // The worker pool's cost per parallel region: back to back (workers spinning), and after 200 us of serial
            // work (workers asleep, woken by the region).
            var body = new Nothing();
            var pool = WorkerPool.Shared;
            for (int i = 0; i < 1000; i++) pool.ParallelFor(16, body);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < 2000; i++) pool.ParallelFor(16, body);
            double hot = sw.Elapsed.TotalSeconds / 2000;
            double cold = 0;
            for (int i = 0; i < 300; i++)
            {
                var w = System.Diagnostics.Stopwatch.StartNew();
                while (w.Elapsed.TotalMilliseconds < 0.2) { }
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                pool.ParallelFor(16, body);
                cold += (System.Diagnostics.Stopwatch.GetTimestamp() - t0) / (double)System.Diagnostics.Stopwatch.Frequency;
            }
            Console.WriteLine($"parallel region of 16 empty items: {hot * 1e6:F1} us back to back, {cold / 300 * 1e6:F1} us after 200 us of serial work");
        }
        {
            var wkvb = t.Layers[1].Attn.WkvB.Weight;
            int dn = c.QkNopeHeadDim, dv = c.VHeadDim, C = c.KvLoraRank;
            var coef = Enumerable.Range(0, dn).Select(i => (float)Math.Sin(i)).ToArray();
            var acc = new float[C];
            var outv = new float[dv];
            var sw = System.Diagnostics.Stopwatch.StartNew();
            for (int rep = 0; rep < 200; rep++) for (int h = 0; h < c.NumAttentionHeads; h++) { acc.AsSpan().Clear(); WeightRows.Accumulate(wkvb, h * (dn + dv), coef, acc); }
            double ta = sw.Elapsed.TotalSeconds / 200;
            sw.Restart();
            for (int rep = 0; rep < 200; rep++) for (int h = 0; h < c.NumAttentionHeads; h++) WeightRows.Dots(wkvb, h * (dn + dv) + dn, acc, outv);
            double td = sw.Elapsed.TotalSeconds / 200;
            Console.WriteLine($"wkv_b per layer, one thread, hot: Accumulate (W_UK) {ta * 1e3:F3} ms, Dots (W_UV) {td * 1e3:F3} ms");
        }

        var xs = new float[steps][]; // steps x (1, dim): different inputs so the MoE routes to different experts
        for (int s = 0; s < steps; s++) xs[s] = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        double total = 0;
        // Each part runs once per step from cold caches (a 96 MiB read evicts the 32 MiB L3 first), as inside a real
        // step, where the other parts' weights have passed through the caches in between; only the part is timed.
        using var evict = new LargePageBuffer(96L << 20);
        new Span<byte>(evict.Pointer, (int)evict.Length).Fill(1);
        double Evict() => BandwidthProbe.Sum((float*)evict.Pointer, evict.Length / 4);
        void Part(string name, double bytes, Action<float[]> run)
        {
            double sec = 0, sink = 0;
            for (int s = 0; s < steps; s++)
            {
                sink += Evict();
                var sw = System.Diagnostics.Stopwatch.StartNew();
                run(xs[s]);
                sec += sw.Elapsed.TotalSeconds;
            }
            GC.KeepAlive(sink);
            double wall = sec / steps;
            total += wall;
            Console.WriteLine($"{name,-28} {wall * 1e3,7:F2} ms  {bytes / 1e6,8:F1} MB  {bytes / 1e9 / wall,6:F1} GB/s  {bytes / 1e9 / wall / bandwidth.Wall,5:P0} of bandwidth");
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
        Console.WriteLine($"bandwidth probed after the parts: {DeepSeekSharp.Benchmarking.MachineProbe.ReadBandwidth(WorkerPool.Shared, 512L << 20, 2):F1} GB/s");
    }

    /// <summary>
    /// A decode step taken apart in its own order (the calls of Transformer.ForwardLast and Block.Forward), each
    /// segment timed where it runs, so caches, worker wake-ups and routing are those of a real step.
    /// </summary>
    private static void InStep(Transformer t, LatentCache cache, int steps, Random rng, Rate bandwidth)
    {
        var c = t.Config;
        int dim = c.HiddenSize, L = t.Layers.Length;
        var seg = new double[L, 5]; // per layer: attention norm, attention, residual + ffn norm, ffn, residual
        bool split = Environment.GetEnvironmentVariable("DSS_PROFILE_SPLIT") == "1";
        var prod = new double[L, 3]; // with DSS_PROFILE_SPLIT=1: q_proj, kv_a, o_proj alone (cold) before the attention
        var scratch = new float[1 << 16];
        double embed = 0, head = 0, whole = 0;
        var x = new float[dim];
        var h = new float[dim];
        var a = new float[dim];
        var logits = new float[c.VocabSize];
        var sw = new System.Diagnostics.Stopwatch();
        for (int s = 0; s < steps; s++)
        {
            int tok = rng.Next(c.VocabSize);
            t.Rope.EnsurePositions(cache.Length + 1);
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp(), tl = t0;
            double Lap() { long now = System.Diagnostics.Stopwatch.GetTimestamp(); double d = (now - tl) / (double)System.Diagnostics.Stopwatch.Frequency; tl = now; return d; }
            t.Embed.Forward([tok], x);
            embed += Lap();
            for (int l = 0; l < L; l++)
            {
                var b = t.Layers[l];
                var sl = new SegmentSlice(0, 1, cache.Length, cache.Layer(l));
                b.AttnNorm.Forward(x, h);
                seg[l, 0] += Lap();
                if (split)
                {
                    // Each product alone from cold weights; the attention that follows then reads them from L3.
                    (b.Attn.Wq ?? b.Attn.WqA!).Forward(h, scratch, 1);
                    prod[l, 0] += Lap();
                    b.Attn.WkvA.Forward(h, scratch, 1);
                    prod[l, 1] += Lap();
                    b.Attn.Wo.Forward(scratch.AsSpan(0, b.Attn.Wo.InFeatures), a, 1);
                    prod[l, 2] += Lap();
                }
                b.Attn.Forward(h, 1, new ReadOnlySpan<SegmentSlice>(in sl), AttentionMode.Auto, a);
                seg[l, 1] += Lap();
                Ops.Axpy(1f, a, x);
                b.FfnNorm.Forward(x, h);
                seg[l, 2] += Lap();
                if (b.Moe is not null) b.Moe.Forward(h, 1, a);
                else b.Mlp!.Forward(h, a, 1);
                seg[l, 3] += Lap();
                Ops.Axpy(1f, a, x);
                seg[l, 4] += Lap();
            }
            cache.SetLength(cache.Length + 1);
            t.Norm.Forward(x, x);
            t.Head.Forward(x, logits, 1);
            head += Lap();
            whole += (tl - t0) / (double)System.Diagnostics.Stopwatch.Frequency;
        }
        Console.WriteLine($"in-step breakdown over {steps} steps: {whole / steps * 1e3:F2} ms per step ({steps / whole:F1} tok/s)");
        Console.WriteLine($"  embedding {embed / steps * 1e3:F3} ms, final norm + head {head / steps * 1e3:F2} ms ({t.Head.Weight.ByteLength / 1e9 / (head / steps):F1} GB/s)");
        for (int l = 0; l < L; l++)
        {
            var b = t.Layers[l];
            double attnBytes = new[] { b.Attn.Wq, b.Attn.WqA, b.Attn.WqB, b.Attn.WkvA, b.Attn.WkvB, b.Attn.Wo }.Where(w => w is not null).Sum(w => (double)w!.Weight.ByteLength);
            double ffnBytes = b.Moe is { } moe
                ? (moe.SharedExperts is { } se ? (double)se.W1.Weight.ByteLength * 3 : 0) + (double)moe.Experts[0].W1.Weight.ByteLength * 3 * c.NumExpertsPerTok
                : (double)b.Mlp!.W1.Weight.ByteLength * 3;
            if (split)
                Console.WriteLine($"  layer {l} products alone, cold: q {prod[l, 0] / steps * 1e3:F3} ms, kv_a {prod[l, 1] / steps * 1e3:F3} ms, o {prod[l, 2] / steps * 1e3:F3} ms; the attention after them (warm): {seg[l, 1] / steps * 1e3:F3} ms");
            Console.WriteLine($"  layer {l}: norm {seg[l, 0] / steps * 1e3:F3}, attention {seg[l, 1] / steps * 1e3:F2} ms ({attnBytes / 1e9 / (seg[l, 1] / steps):F1} GB/s), " +
                $"residual+norm {seg[l, 2] / steps * 1e3:F3}, {(b.Moe is null ? "dense MLP" : "MoE")} {seg[l, 3] / steps * 1e3:F2} ms ({ffnBytes / 1e9 / (seg[l, 3] / steps):F1} GB/s), residual {seg[l, 4] / steps * 1e3:F3} ms");
        }
    }

    private struct Nothing : IRangeBody
    {
        public readonly void Run(int start, int end) { }
    }
}
