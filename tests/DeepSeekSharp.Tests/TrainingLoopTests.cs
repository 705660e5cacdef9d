using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training;

namespace DeepSeekSharp.Tests;

/// <summary>The training loop: determinism, stop-and-resume, checkpoints that inference loads, balancing, schedule.</summary>
public class TrainingLoopTests
{
    private static readonly TrainOptions Small = new()
    {
        Steps = 6, Batch = 2, Seq = 16, Lr = 3e-3, Warmup = 2, EvalEvery = 3, EvalSequences = 2, Seed = 7,
    };

    /// <summary>A patterned token stream (so there is something to learn) split into train and validation.</summary>
    private static TokenData SyntheticData(int vocab, int seq, ulong seed)
    {
        var rng = new TrainRng(99);
        var docs = new List<int[]>();
        for (int d = 0; d < 60; d++)
        {
            int a = rng.NextInt(16), len = 20 + rng.NextInt(20);
            docs.Add(Enumerable.Range(0, len).Select(i => 2 + (a + 3 * i) % Math.Min(vocab - 2, 64)).ToArray());
        }
        var train = docs.Where((_, i) => i % 20 != 19).SelectMany(d => d.Append(1)).ToArray();
        var val = docs.Where((_, i) => i % 20 == 19).SelectMany(d => d.Append(1)).ToArray();
        return new TokenData(train, val, seq, seed);
    }

    private static Trainer NewTrainer(TrainOptions o)
    {
        var p = TrainingGradientCheckTests.RandomTiny(mtp: true, seed: 3, std: 0.02);
        return new Trainer(p, SyntheticData(p.Config.VocabSize, o.Seq, o.Seed), o);
    }

    [Fact]
    public void StopAndResumeEqualsUninterruptedRunBitForBit()
    {
        var full = NewTrainer(Small);
        while (!full.Done) full.TrainStep();

        using var tmp = new Fixtures.TempDir();
        var first = NewTrainer(Small);
        for (int i = 0; i < 3; i++) first.TrainStep();
        TrainState.Save(tmp.File(TrainState.FileName), first);

        var resumed = NewTrainer(Small);
        TrainState.Load(tmp.File(TrainState.FileName), resumed);
        Assert.Equal(3, resumed.Step);
        while (!resumed.Done) resumed.TrainStep();

        Assert.Equal(full.Sample, resumed.Sample);
        Assert.True(full.Params.Data.AsSpan().SequenceEqual(resumed.Params.Data), "weights differ after resume");
        Assert.True(full.Optimizer.M.AsSpan().SequenceEqual(resumed.Optimizer.M), "first moments differ after resume");
        Assert.True(full.Optimizer.V.AsSpan().SequenceEqual(resumed.Optimizer.V), "second moments differ after resume");
        // and the run changed the weights, including the correction biases
        var fresh = NewTrainer(Small);
        Assert.False(fresh.Params.Data.AsSpan().SequenceEqual(full.Params.Data));
        Assert.False(fresh.Params.Value(HfNames.GateBias(1)).SequenceEqual(full.Params.Value(HfNames.GateBias(1))));
    }

    [Fact]
    public void TrainingLowersValidationLossAndKeepsExpertsLoaded()
    {
        var o = Small with { Steps = 30, Lr = 1e-2, Warmup = 3, EvalEvery = 30 };
        var tr = NewTrainer(o);
        var first = tr.TrainStep();
        StepMetrics last = first;
        while (!tr.Done) last = tr.TrainStep();
        Assert.True(last.ValLoss < first.ValLoss - 1.0, $"validation loss {first.ValLoss} -> {last.ValLoss}");
        Assert.True(last.Loss < first.Loss - 1.0, $"training loss {first.Loss} -> {last.Loss}");
        Assert.True(first.MtpLoss > 0 && last.MtpLoss < first.MtpLoss, $"MTP loss {first.MtpLoss} -> {last.MtpLoss}");
        Assert.Equal(3, last.Load.Length); // MoE layers 1, 2 and the MTP layer
        Assert.All(last.Load, l => Assert.True(l.MaxOverMean >= 1));
    }

    [Fact]
    public void SavedCheckpointLoadsForInferenceWithTheSameLogits()
    {
        var p = TrainingGradientCheckTests.RandomTiny(mtp: true, seed: 21, std: 0.1);
        // non-trivial correction biases so routing depends on them
        var bias = p.Value(HfNames.GateBias(1));
        for (int e = 0; e < bias.Length; e++) bias[e] = 0.01f * (e % 5);
        var m = new TrainModel(p);
        int[] ids = { 5, 77, 300, 12, 999, 41, 41, 7, 650, 2 };
        int V = p.Config.VocabSize;
        var ours = new float[ids.Length * V];
        var oursMtp = new float[(ids.Length - 1) * V];
        m.Run(ids, new LossScales(1, 0.3f, 0), backward: false, ours, oursMtp);

        using var tmp = new Fixtures.TempDir();
        string dir = tmp.File("model");
        HfExport.Write(dir, p, File.ReadAllText(Path.Combine(Fixtures.Dir("v3-tiny"), "config.json")), tokenizerDir: null, bf16: false);
        using var t = Transformer.Load(dir);
        var logits = t.Forward(ids, 0, t.NewCache(ids.Length, CacheDType.F32), AttentionMode.Naive, finalNorm: new float[ids.Length * p.Config.HiddenSize]);
        ForwardFixtureTests.AssertClose(ours, logits, "inference logits of the saved checkpoint");

        var h = new float[ids.Length * p.Config.HiddenSize];
        t.Forward(ids, 0, t.NewCache(ids.Length, CacheDType.F32), AttentionMode.Naive, finalNorm: h);
        var (mtp, _) = t.Mtp[0].Forward(ids.AsSpan(1), h.AsSpan(0, (ids.Length - 1) * p.Config.HiddenSize), 0,
            LatentCache.For(t.Config, ids.Length, CacheDType.F32, layers: 1).Layer(0), AttentionMode.Naive);
        ForwardFixtureTests.AssertClose(oursMtp, mtp, "inference MTP logits of the saved checkpoint");

        // BF16 export: loads too, and a reload for training gives the BF16-rounded weights
        string dir16 = tmp.File("model16");
        HfExport.Write(dir16, p, File.ReadAllText(Path.Combine(Fixtures.Dir("v3-tiny"), "config.json")), null, bf16: true);
        var back = ParameterInit.LoadCheckpoint(dir16, includeMtp: true);
        Assert.True(back.HasMtp);
        var w = p.Value(HfNames.WkvB(0)).ToArray();
        Assert.Equal(w.Select(Numerics.BFloat16.Round), back.Value(HfNames.WkvB(0)).ToArray());
        Assert.Equal(p.Value(HfNames.GateBias(1)).ToArray(), back.Value(HfNames.GateBias(1)).ToArray());
    }

    [Fact]
    public void BiasMovesTowardBalanceByGamma()
    {
        var p = TrainingGradientCheckTests.RandomTiny(mtp: false, seed: 4);
        var m = new TrainModel(p);
        m.Run(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, new LossScales(1, 0, 0), backward: false);
        var moe = m.MoeLayers.First();
        var load = moe.Load.ToArray();
        var before = p.Value(moe.BiasName).ToArray();
        var stats = LoadBalancer.Update(m, 0.001);
        var after = p.Value(moe.BiasName).ToArray();
        double mean = load.Average();
        for (int e = 0; e < load.Length; e++)
            Assert.Equal(before[e] + 0.001f * Math.Sign(mean - load[e]), after[e]);
        Assert.Equal(load.Max() / mean, stats[0].MaxOverMean, 1e-12);
        Assert.All(m.MoeLayers, x => Assert.All(x.Load, v => Assert.Equal(0, v)));
    }

    [Fact]
    public void ScheduleWarmsUpLinearlyThenDecaysByCosine()
    {
        var s = new LrSchedule(1e-3, 10, 110, 0.1);
        Assert.Equal(1e-4, s.At(1), 12);
        Assert.Equal(1e-3, s.At(10), 12);
        Assert.Equal(0.55e-3, s.At(60), 12);
        Assert.Equal(1e-4, s.At(110), 12);
    }

    [Fact]
    public void AdamWDecaysMatricesOnlyAndSkipsBiases()
    {
        var p = TrainingGradientCheckTests.RandomTiny(mtp: false, seed: 8);
        var opt = new AdamW(p) { WeightDecay = 0.1 };
        var norm = p.Value(HfNames.Norm).ToArray();
        var wo = p.Value(HfNames.Wo(0)).ToArray();
        p.Value(HfNames.GateBias(1)).Fill(0.5f);
        p.Gradient(HfNames.Wo(0))[0] = 2f;
        opt.Update(1, 0.01, 1f);
        Assert.Equal(norm, p.Value(HfNames.Norm).ToArray()); // zero gradient, no decay
        Assert.Equal(wo[1] * (1 - 0.01f * 0.1f), p.Value(HfNames.Wo(0))[1], 6);
        // first step of Adam moves by lr * sign(g)
        Assert.Equal(wo[0] * (1 - 0.001f) - 0.01f, p.Value(HfNames.Wo(0))[0], 5);
        Assert.All(p.Value(HfNames.GateBias(1)).ToArray(), v => Assert.Equal(0.5f, v));
    }
}
