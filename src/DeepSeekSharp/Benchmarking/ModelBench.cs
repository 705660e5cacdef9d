using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Benchmarking;

/// <summary>
/// What `dss bench` runs: prompt and generated lengths, threads (0: the pool as it is), probe buffer size, and how many
/// decoded tokens make a round between two bandwidth probes.
/// </summary>
public sealed record BenchOptions(int PromptTokens = 512, int GenTokens = 64, int Threads = 0, long ProbeBytes = 1L << 30, ulong Seed = 0,
    Checkpoints.WeightResidence Residence = Checkpoints.WeightResidence.Auto, int RoundTokens = 8);

/// <summary>
/// Measures, in one run, the machine's read bandwidth and FMA peak, then a model's prefill (one forward pass over a
/// random prompt, logits of the last token) and greedy decode (one token per forward, absorbed attention over the
/// BF16 latent cache), and reports them against those limits. The bandwidth is probed before the prefill and again
/// after the decode (the whole decode is held to the higher), and the decode runs in rounds of
/// <see cref="BenchOptions.RoundTokens"/> tokens with a shorter probe between rounds: each round is held to the
/// higher of the probes on either side of it, so a neighbour's load on a shared machine, which comes and goes within
/// seconds, moves both figures of a round together; the median round is the decode's roofline fraction. The steady
/// state of a server is measured: every page of the checkpoint is touched first (<see cref="WeightPages"/>), a short
/// decode runs before the measured one (code, caches and the pool's workers settle), and the decode loop allocates nothing.
/// </summary>
public static class ModelBench
{
    public static BenchReport Run(string modelDir, BenchOptions o, Action<string>? log = null)
    {
        if (o.PromptTokens < 1) throw new DssException($"--prompt-tokens must be at least 1, got {o.PromptTokens}");
        if (o.GenTokens < 1) throw new DssException($"--gen-tokens must be at least 1, got {o.GenTokens}");
        if (o.Threads < 0) throw new DssException($"--threads must be positive, got {o.Threads}");
        if (o.RoundTokens < 1) throw new DssException($"--round-tokens must be at least 1, got {o.RoundTokens}");
        var pool = WorkerPool.Shared;
        if (o.Threads > 0 && pool.Threads != o.Threads) pool.SetThreads(o.Threads);

        log?.Invoke($"probing memory read bandwidth ({o.ProbeBytes / (1 << 20)} MiB buffer) and FMA peak on {pool.Threads} thread(s)");
        var bwBefore = MachineProbe.ReadBandwidthRates(pool, o.ProbeBytes);
        var peakRate = MachineProbe.FmaPeakRates(pool);
        double peak = peakRate.Wall;

        using var model = Transformer.Load(modelDir, o.Residence);
        var c = model.Config;
        int P = o.PromptTokens, G = o.GenTokens;
        if (P + G > c.MaxPositionEmbeddings)
            throw new DssException($"{P} prompt + {G} generated tokens exceed the model's context of {c.MaxPositionEmbeddings}");
        var cost = new ModelCost(model);
        var rng = o.Seed + 0x5EEDUL;
        var prompt = new int[P];
        for (int i = 0; i < P; i++) prompt[i] = (int)(InitDistribution.SplitMix64(ref rng) % (ulong)c.VocabSize);

        log?.Invoke("warming up (mapping every page of the checkpoint, then a short forward)");
        WeightPages.Touch(model.Weights.Checkpoint);
        var warm = model.NewCache(Math.Min(P, 16) + WarmupSteps + 1);
        var wl = model.Forward(prompt.AsSpan(0, Math.Min(P, 16)), 0, warm, lastOnly: true);
        var warmLogits = new float[c.VocabSize];
        for (int i = 0; i < WarmupSteps; i++)
        {
            model.ForwardLast([Ops.ArgMax(wl)], warm, warmLogits);
            wl = warmLogits;
        }

        log?.Invoke($"prefill of {P} tokens");
        var cache = model.NewCache(P + G);
        var clock = CpuClock.Start(pool.Threads);
        var logits = model.Forward(prompt, 0, cache, lastOnly: true);
        var (prefillS, prefillCpu) = clock.Elapsed();
        CheckFinite(logits, "prefill");

        log?.Invoke($"decode of {G} tokens in rounds of {o.RoundTokens}, the bandwidth probed between rounds");
        long probeBytes = Math.Min(o.ProbeBytes, RoundProbeBytes);
        var rounds = new List<DecodeRound>();
        double roundProbe = MachineProbe.ReadBandwidthRates(pool, probeBytes, RoundProbeReps).Wall;
        double decodeS = 0, decodeCpu = 0;
        long cacheBytes = 0;
        Span<int> next = stackalloc int[1];
        long alloc = 0; // bytes allocated by the decode steps themselves (the probes between rounds excluded)
        int gcs = 0;    // collections during the decode steps
        for (int done = 0; done < G;)
        {
            int n = Math.Min(o.RoundTokens, G - done);
            long roundCache = 0;
            clock = CpuClock.Start(pool.Threads);
            long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            int gc0 = GC.CollectionCount(0);
            for (int i = 0; i < n; i++)
            {
                next[0] = Ops.ArgMax(logits);
                roundCache += cost.DecodeCacheBytes(cache.Length + 1);
                model.ForwardLast(next, cache, logits); // logits (vocab) reused: the decode loop allocates nothing
            }
            alloc += GC.GetTotalAllocatedBytes(precise: true) - alloc0;
            gcs += GC.CollectionCount(0) - gc0; // every collection counts generation 0
            var (s, cpu) = clock.Elapsed();
            decodeS += s;
            decodeCpu += cpu;
            cacheBytes += roundCache;
            done += n;
            double after = MachineProbe.ReadBandwidthRates(pool, probeBytes, RoundProbeReps).Wall;
            double gbs = (cost.DecodeWeightBytes * (double)n + roundCache) / s / 1e9;
            double held = Math.Max(roundProbe, after);
            rounds.Add(new DecodeRound { Tokens = n, Seconds = s, Gbs = gbs, ProbeGbs = held, RooflineFraction = gbs / held });
            roundProbe = after;
        }
        CheckFinite(logits, "decode");

        // A neighbour's load on a shared machine comes and goes: probe again right after the decode and hold the whole
        // decode to the higher of the two (the stricter roofline).
        log?.Invoke("probing memory read bandwidth again");
        var bwAfter = MachineProbe.ReadBandwidthRates(pool, o.ProbeBytes);
        var bwRate = bwBefore.Max(bwAfter);
        double bw = bwRate.Wall;

        double flops = cost.PrefillFlops(P);
        double weightB = cost.DecodeWeightBytes, cacheB = (double)cacheBytes / G, bytesPerTok = weightB + cacheB;
        double decodeTokS = G / decodeS;
        var dtypes = model.Weights.Checkpoint.TensorNames.Select(n => model.Weights.Checkpoint.Info(n).DType).Distinct().OrderBy(d => d);
        return new BenchReport
        {
            Model = Path.GetFullPath(modelDir),
            WeightDtypes = string.Join("+", dtypes),
            Threads = pool.Threads,
            PromptTokens = P,
            GenTokens = G,
            MemBandwidthGbs = bw,
            MemBandwidthBeforeGbs = bwBefore.Wall,
            MemBandwidthAfterGbs = bwAfter.Wall,
            WeightResidence = model.Weights.Checkpoint.Residence == Checkpoints.WeightResidence.Memory ? "memory" : "mmap",
            FmaPeakGflops = peak,
            PrefillSeconds = prefillS,
            PrefillTokS = P / prefillS,
            PrefillGflop = flops / 1e9,
            PrefillGflops = flops / prefillS / 1e9,
            PrefillPeakFraction = flops / prefillS / 1e9 / peak,
            DecodeSeconds = decodeS,
            DecodeTokS = decodeTokS,
            DecodeWeightBytesPerToken = weightB,
            DecodeCacheBytesPerToken = cacheB,
            DecodeBytesPerToken = bytesPerTok,
            DecodeGbs = bytesPerTok * decodeTokS / 1e9,
            DecodeRooflineTokS = bw * 1e9 / bytesPerTok,
            DecodeRooflineFraction = Median(rounds.Select(r => r.RooflineFraction)),
            DecodeRooflineFractionWhole = bytesPerTok * decodeTokS / 1e9 / bw,
            DecodeRounds = rounds,
            DecodeAllocBytesPerToken = (double)alloc / G,
            DecodeGcCollections = gcs,
            MemBandwidthCpuGbs = bwRate.Cpu,
            FmaPeakCpuGflops = peakRate.Cpu,
            PrefillCpuShare = prefillCpu / prefillS,
            PrefillPeakFractionCpu = flops / prefillCpu / 1e9 / peakRate.Cpu,
            DecodeCpuShare = decodeCpu / decodeS,
            DecodeRooflineFractionCpu = bytesPerTok * G / decodeCpu / 1e9 / bwRate.Cpu,
        };
    }

    /// <summary>Decode steps run before the measured decode (JIT, caches, the pool's workers).</summary>
    public const int WarmupSteps = 16;

    /// <summary>The probe between decode rounds: at most this buffer (the smaller of it and --probe-mb), read twice.</summary>
    public const long RoundProbeBytes = 512L << 20;
    private const int RoundProbeReps = 2;

    /// <summary>The middle value (the mean of the two middle ones for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) throw new ArgumentException("no values");
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static void CheckFinite(ReadOnlySpan<float> v, string what)
    {
        foreach (var x in v)
            if (!float.IsFinite(x)) throw new DssException($"{what} produced non-finite logits: the checkpoint's values are not sane");
    }
}
