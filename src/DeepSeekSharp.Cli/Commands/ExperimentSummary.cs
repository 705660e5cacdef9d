using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// The figures of the FP8-vs-BF16 comparison. Gaps are relative: (FP8 - BF16) / BF16 of the final validation loss,
/// per seed, then their mean, sample standard deviation and range. The seed spread of BF16 itself (relative sample
/// standard deviation of its final validation loss over seeds) is the noise a gap is measured against.
/// </summary>
internal sealed record ExperimentSummary(
    double Bf16Mean, double Fp8Mean, double[] Gaps, double GapMean, double GapStd, double GapMin, double GapMax,
    double Bf16SeedSpread, double GapF32EvalMean, double Bf16TokensPerSecond, double Fp8TokensPerSecond,
    int? ValDivergeStep, int? TrainDivergeStep, int SmoothWindow, double Bf16LastFifthDrop, double[] ValGapByEval, int[] EvalSteps)
{
    public const double Claim = 0.0025;

    public bool WithinClaim => Math.Abs(GapMean) < Claim;
    public bool WithinSeedSpread => Gaps.Length > 1 && Math.Abs(GapMean) <= Math.Max(Bf16SeedSpread, GapStd);

    public static ExperimentSummary Of(IReadOnlyList<ExperimentRun> runs, int steps)
    {
        var bf = runs.Where(r => r.Precision == TrainPrecision.Bf16).OrderBy(r => r.Seed).ToArray();
        var fp = runs.Where(r => r.Precision == TrainPrecision.Fp8).OrderBy(r => r.Seed).ToArray();
        var gaps = bf.Zip(fp, (b, f) => (f.FinalVal - b.FinalVal) / b.FinalVal).ToArray();
        var gapsF32 = bf.Zip(fp, (b, f) => (f.FinalValF32 - b.FinalValF32) / b.FinalValF32).ToArray();
        double bfMean = bf.Average(r => r.FinalVal);

        // Validation gap at each evaluation step (mean over seeds).
        var evalSteps = bf[0].ValLoss.Select(v => v.Step).ToArray();
        var valGap = evalSteps.Select((_, i) => bf.Zip(fp, (b, f) => (f.ValLoss[i].Loss - b.ValLoss[i].Loss) / b.ValLoss[i].Loss).Average()).ToArray();
        int? valDiverge = FirstStaysAbove(valGap, Claim) is int vi ? evalSteps[vi] : null;

        // Training loss: moving average over a window, mean over seeds.
        int w = Math.Max(1, steps / 20);
        var bfTrain = MeanCurve(bf, w);
        var fpTrain = MeanCurve(fp, w);
        var trainGap = bfTrain.Zip(fpTrain, (b, f) => (f - b) / b).ToArray();
        int? trainDiverge = FirstStaysAbove(trainGap.Skip(w - 1).ToArray(), Claim) is int ti ? ti + w : null;
        int at80 = Math.Max(w - 1, (int)(0.8 * steps) - 1);
        double drop = (bfTrain[at80] - bfTrain[^1]) / bfTrain[at80];

        return new ExperimentSummary(bfMean, fp.Average(r => r.FinalVal), gaps, gaps.Average(), Std(gaps), gaps.Min(), gaps.Max(),
            Std(bf.Select(r => r.FinalVal).ToArray()) / bfMean, gapsF32.Average(),
            bf.Average(r => r.TokensPerSecond), fp.Average(r => r.TokensPerSecond), valDiverge, trainDiverge, w, drop, valGap, evalSteps);
    }

    /// <summary>Moving average (trailing window w, shorter at the start) of the training loss, averaged over the runs.</summary>
    public static double[] MeanCurve(IReadOnlyList<ExperimentRun> runs, int w)
    {
        int n = runs[0].TrainLoss.Length;
        var mean = new double[n];
        foreach (var r in runs)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += r.TrainLoss[i];
                if (i >= w) sum -= r.TrainLoss[i - w];
                mean[i] += sum / Math.Min(i + 1, w) / runs.Count;
            }
        }
        return mean;
    }

    /// <summary>The first index from which |x| stays above the threshold to the end (null when the last one is not).</summary>
    private static int? FirstStaysAbove(double[] x, double threshold)
    {
        int? first = null;
        for (int i = x.Length - 1; i >= 0 && Math.Abs(x[i]) > threshold; i--) first = i;
        return first;
    }

    private static double Std(double[] x)
    {
        if (x.Length < 2) return 0;
        double m = x.Average();
        return Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Length - 1));
    }
}
