using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Training;

/// <summary>Hyper-parameters of a training run (DeepSeek-V3's recipe at small scale).</summary>
public sealed record TrainOptions
{
    public int Steps { get; init; } = 200;
    /// <summary>Sequences per micro-batch.</summary>
    public int Batch { get; init; } = 8;
    /// <summary>Predicted positions per sequence (windows of Seq + 1 tokens).</summary>
    public int Seq { get; init; } = 128;
    /// <summary>Micro-batches whose gradients are summed before one optimiser step.</summary>
    public int Accumulation { get; init; } = 1;
    public double Lr { get; init; } = 1e-3;
    public double MinLrRatio { get; init; } = 0.1;
    /// <summary>Linear warm-up steps; negative means min(100, Steps / 10).</summary>
    public int Warmup { get; init; } = -1;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Global gradient-norm clip (0 disables).</summary>
    public double Clip { get; init; } = 1.0;
    /// <summary>Weight of the MTP cross-entropy (lambda).</summary>
    public double MtpLambda { get; init; } = 0.3;
    /// <summary>alpha of the sequence-wise balance loss.</summary>
    public double BalanceAlpha { get; init; } = 1e-4;
    /// <summary>Bias update speed gamma of auxiliary-loss-free balancing.</summary>
    public double BiasGamma { get; init; } = 0.001;
    public ulong Seed { get; init; } = 1;
    /// <summary>Validation every this many steps (and at the first and last step).</summary>
    public int EvalEvery { get; init; } = 50;
    /// <summary>Validation windows evaluated each time (at most the number available).</summary>
    public int EvalSequences { get; init; } = 16;
    /// <summary>Checkpoint every this many steps (0: only at the end and on Ctrl+C).</summary>
    public int SaveEvery { get; init; }
    /// <summary>Numerics of the GEMMs (fp8 also stores the AdamW moments in BF16).</summary>
    public TrainPrecision Precision { get; init; } = TrainPrecision.Fp32;
    /// <summary>How FP8 tile and block scales are chosen (fp8 only).</summary>
    public Fp8ScaleFormat Fp8Scales { get; init; } = Fp8ScaleFormat.Float;

    public int WarmupSteps => Warmup >= 0 ? Warmup : Math.Min(100, Steps / 10);
}
