using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>What the experiment runs: one architecture and recipe, several seeds, BF16 and FP8 each.</summary>
internal sealed record ExperimentSetup(ModelConfig Config, double InitStd, bool Mtp, TrainOptions Options, ulong[] Seeds, string CommandLine,
    ExperimentCheckpoints? Checkpoints = null);

/// <summary>Where and how each run's trained model is written (`--checkpoints`): Dir/seedS-PRECISION, BF16, with the tokenizer.</summary>
internal sealed record ExperimentCheckpoints(string Dir, string ConfigJson, string TokenizerDir)
{
    public string PathOf(ulong seed, TrainPrecision precision) => System.IO.Path.Combine(Dir, $"seed{seed}-{precision.Name()}");
}

/// <summary>One training run: its loss per step, validation loss at the evaluation steps, throughput.</summary>
internal sealed record ExperimentRun(ulong Seed, TrainPrecision Precision, double[] TrainLoss, (int Step, double Loss)[] ValLoss,
    double FinalVal, double FinalValF32, double TokensPerSecond, double Seconds, long Parameters);

/// <summary>Everything the report shows.</summary>
internal sealed record ExperimentResult(ExperimentSetup Setup, ExperimentRun[] Runs, ExperimentSummary Summary);

/// <summary>Trains the runs one after the other: for every seed BF16 then FP8, same weights, same data order.</summary>
internal static class ExperimentRunner
{
    public static ExperimentResult Run(ExperimentSetup s, TokenData firstSeedData, TextWriter log)
    {
        var runs = new List<ExperimentRun>();
        foreach (var seed in s.Seeds)
        {
            var data = seed == firstSeedData.Seed ? firstSeedData : new TokenData(firstSeedData.Train, firstSeedData.Validation, s.Options.Seq, seed);
            foreach (var precision in new[] { TrainPrecision.Bf16, TrainPrecision.Fp8 })
                runs.Add(RunOne(s, data, seed, precision, log));
        }
        return new ExperimentResult(s, runs.ToArray(), ExperimentSummary.Of(runs, s.Options.Steps));
    }

    private static ExperimentRun RunOne(ExperimentSetup s, TokenData data, ulong seed, TrainPrecision precision, TextWriter log)
    {
        var o = s.Options with { Seed = seed, Precision = precision };
        var p = ParameterInit.Random(s.Config, s.Mtp, seed, s.InitStd);
        var trainer = new Trainer(p, data, o);
        var loss = new double[o.Steps];
        var val = new List<(int, double)>();
        double seconds = 0;
        long tokens = 0;
        while (!trainer.Done)
        {
            var m = trainer.TrainStep();
            loss[m.Step - 1] = m.Loss;
            seconds += m.Seconds;
            tokens += m.Tokens;
            if (m.ValLoss is double v) val.Add((m.Step, v));
            if (m.Step % 25 == 0 || m.Step == o.Steps)
                log.WriteLine($"seed {seed} {precision.Name()}: step {m.Step}/{o.Steps} loss {m.Loss:F4}{(m.ValLoss is double vv ? $" val {vv:F4}" : "")} ({tokens / seconds:F0} tokens/s)");
            if (!double.IsFinite(m.Loss)) throw new DssException($"seed {seed} {precision.Name()}: the loss became {m.Loss} at step {m.Step}");
        }
        if (s.Checkpoints is { } c)
        {
            HfExport.Write(c.PathOf(seed, precision), p, c.ConfigJson, c.TokenizerDir, bf16: true);
            log.WriteLine($"seed {seed} {precision.Name()}: model written to {c.PathOf(seed, precision)}");
        }
        double finalVal = val[^1].Item2;
        // The same weights evaluated with F32 GEMMs: separates what the weights learned from how the last forward ran.
        var f32 = new Trainer(p, data, o with { Precision = TrainPrecision.Fp32 });
        double finalF32 = f32.Evaluate();
        return new ExperimentRun(seed, precision, loss, val.ToArray(), finalVal, finalF32, tokens / seconds, seconds, p.Count);
    }
}
