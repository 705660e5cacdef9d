using System.Diagnostics;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Training;

/// <summary>What one optimiser step did.</summary>
/// <param name="BalanceLoss">alpha x the mean over the step's sequences of the summed per-layer balance losses</param>
public sealed record StepMetrics(int Step, double Loss, double MtpLoss, double BalanceLoss, double Lr, double GradNorm,
    int Tokens, double Seconds, ExpertLoad[] Load, double? ValLoss)
{
    public double TokensPerSecond => Seconds > 0 ? Tokens / Seconds : 0;
    public double MaxLoadOverMean => Load.Length == 0 ? 0 : Load.Max(l => l.MaxOverMean);
}

/// <summary>
/// The training loop: micro-batches of packed windows, MTP and balance losses, gradient accumulation, global-norm
/// clipping, AdamW with warm-up and cosine decay, and the correction-bias update after each step. Everything is
/// deterministic given the seed: the data order is derived from it, all reductions run in a fixed order.
/// </summary>
public sealed class Trainer
{
    public ParameterSet Params { get; }
    public TrainModel Model { get; }
    public AdamW Optimizer { get; }
    public TokenData Data { get; }
    public TrainOptions Options { get; }
    public LrSchedule Schedule { get; }
    /// <summary>Completed optimiser steps.</summary>
    public int Step { get; internal set; }
    /// <summary>Training windows consumed so far (the data position).</summary>
    public long Sample { get; internal set; }
    /// <summary>The run's generator (stored in the training state).</summary>
    public TrainRng Rng { get; }

    public Trainer(ParameterSet p, TokenData data, TrainOptions o)
    {
        if (o.Batch < 1 || o.Accumulation < 1 || o.Steps < 1) throw new DssException("--steps, --batch and the accumulation must be positive");
        if (data.Seq != o.Seq) throw new DssException($"the data is packed for --seq {data.Seq} but the run uses {o.Seq}");
        if (o.Seq + 1 > p.Config.MaxPositionEmbeddings)
            throw new DssException($"--seq {o.Seq} needs {o.Seq + 1} positions but max_position_embeddings is {p.Config.MaxPositionEmbeddings}");
        int maxId = Math.Max(data.Train.Max(), data.Validation.Length > 0 ? data.Validation.Max() : 0);
        if (maxId >= p.Config.VocabSize)
            throw new DssException($"the data has token id {maxId} but the model's vocab_size is {p.Config.VocabSize}: use a config whose vocab_size covers the tokenizer");
        Params = p;
        Model = new TrainModel(p, o.Precision, o.Fp8Scales);
        Optimizer = new AdamW(p) { Beta1 = o.Beta1, Beta2 = o.Beta2, Eps = o.Eps, WeightDecay = o.WeightDecay, Bf16Moments = o.Precision == TrainPrecision.Fp8 };
        Data = data;
        Options = o;
        Schedule = new LrSchedule(o.Lr, o.WarmupSteps, o.Steps, o.MinLrRatio);
        Rng = new TrainRng(o.Seed);
    }

    public bool Done => Step >= Options.Steps;

    /// <summary>One optimiser step over Batch x Accumulation windows.</summary>
    public StepMetrics TrainStep()
    {
        var sw = Stopwatch.StartNew();
        var o = Options;
        int sequences = o.Batch * o.Accumulation, T = o.Seq;
        bool mtp = Params.HasMtp && o.MtpLambda != 0;
        var scales = new LossScales(1f / (sequences * T), mtp ? (float)(o.MtpLambda / (sequences * (T - 1))) : 0f, (float)(o.BalanceAlpha / sequences));
        Model.ZeroGrad();
        double main = 0, mtpLoss = 0, balance = 0;
        for (int i = 0; i < sequences; i++)
        {
            var l = Model.Run(Data.TrainSample(Sample++), scales, backward: true);
            main += l.Main;
            mtpLoss += l.Mtp;
            balance += l.Balance;
        }
        double norm = AdamW.GradNorm(Params);
        float clip = o.Clip > 0 && norm > o.Clip ? (float)(o.Clip / norm) : 1f;
        int t = Step + 1;
        double lr = Schedule.At(t);
        Optimizer.Update(t, lr, clip);
        Model.Precision.WeightsChanged();
        var load = LoadBalancer.Update(Model, o.BiasGamma);
        Step = t;
        double seconds = sw.Elapsed.TotalSeconds; // training only, validation excluded
        double? val = null;
        if (t == 1 || t % Math.Max(1, o.EvalEvery) == 0 || t == o.Steps) val = Evaluate();
        return new StepMetrics(t, main / (sequences * T), mtp ? mtpLoss / (sequences * (T - 1)) : 0, balance, lr, norm,
            sequences * T, seconds, load, val);
    }

    /// <summary>Mean next-token cross-entropy on the first EvalSequences validation windows (NaN when there are none).</summary>
    public double Evaluate()
    {
        int n = Math.Min(Options.EvalSequences, Data.ValidationWindows);
        if (n == 0) return double.NaN;
        double sum = 0;
        long targets = 0;
        var scales = new LossScales(1, 0, 0);
        foreach (var moe in Model.MoeLayers) moe.ResetLoad();
        for (int i = 0; i < n; i++)
        {
            var l = Model.Run(Data.ValidationSample(i), scales, backward: false);
            sum += l.Main;
            targets += l.MainTargets;
        }
        foreach (var moe in Model.MoeLayers) moe.ResetLoad();
        return sum / targets;
    }
}
