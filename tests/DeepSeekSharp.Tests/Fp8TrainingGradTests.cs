using Xunit.Abstractions;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Training;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Tests;

/// <summary>Gradients of the whole model in bf16 and fp8 against F32 on the fixtures; fp32 unchanged; BF16 moments.</summary>
public class Fp8TrainingGradTests(ITestOutputHelper output)
{
    private static int[][] Sequences(string model)
    {
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        return new[] { r.ReadI32("p0.input_ids"), r.ReadI32("p1.input_ids") };
    }

    /// <summary>
    /// Relative Frobenius error of each tensor's gradient against F32, and of all gradients together. With
    /// pinRouting, every correction bias is set so that the expert choice cannot change between precisions (the bias
    /// only selects; gate weights still come from the scores): otherwise a token that flips to another expert moves
    /// whole expert gradients, which measures the router's discontinuity rather than the GEMMs' precision.
    /// </summary>
    private (double Loss, double LossRef, double All, double Worst, string WorstName, int Tensors) Measure(string model, TrainPrecision precision, bool pinRouting)
    {
        var seqs = Sequences(model);
        var p = ParameterInit.LoadCheckpoint(Fixtures.Dir(model), includeMtp: false);
        if (pinRouting)
        {
            var biases = p.Tensors.Where(t => t.Name.EndsWith("e_score_correction_bias", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(biases);
            foreach (var t in biases)
                for (int e = 0; e < t.Length; e++) p.Data[t.Offset + e] = -100f * e;
        }
        double lossRef = GradComputation.Compute(new TrainModel(p), seqs);
        var gradRef = (float[])p.Grad.Clone();
        double loss = GradComputation.Compute(new TrainModel(p, precision), seqs);
        double worst = 0, sumSq = 0, refSq = 0;
        string worstName = "";
        int n = 0;
        foreach (var t in p.Tensors.Where(t => t.Trainable))
        {
            var g = p.Grad.AsSpan((int)t.Offset, t.Length);
            var gr = gradRef.AsSpan((int)t.Offset, t.Length);
            double ss = 0;
            for (int i = 0; i < g.Length; i++) { sumSq += ((double)g[i] - gr[i]) * ((double)g[i] - gr[i]); refSq += (double)gr[i] * gr[i]; ss += (double)gr[i] * gr[i]; }
            if (ss == 0) continue; // an expert no token reached
            double e = PrecisionGemmTests.RelFro(g, gr);
            if (e > worst) (worst, worstName) = (e, t.Name);
            n++;
        }
        double all = Math.Sqrt(sumSq / refSq);
        output.WriteLine($"{model} {precision}{(pinRouting ? " (routing pinned)" : "")}: loss {loss:F6} vs F32 {lossRef:F6} ({(loss - lossRef) / lossRef * 100:+0.0000;-0.0000}%); " +
            $"relative Frobenius error of the gradients: all together {all:E2}, worst tensor {worst:E2} ({worstName}) over {n} tensors");
        return (loss, lossRef, all, worst, worstName, n);
    }

    // E4M3 keeps 3 fraction bits: each quantised operand is off by about 3.6% RMS, so one FP8 GEMM's output is off by
    // about 3.6% (relative Frobenius, see PrecisionGemmTests), and errors gather through the layers of the backward.
    [Theory]
    [InlineData("v3-tiny", TrainPrecision.Fp8, 0.07, 0.15)]
    [InlineData("v3-fp8-tiny", TrainPrecision.Fp8, 0.07, 0.15)]
    [InlineData("v3-fp8-tiny", TrainPrecision.Bf16, 0.01, 0.02)]
    public void GradientsStayCloseToF32(string model, TrainPrecision precision, double allLimit, double worstLimit)
    {
        var m = Measure(model, precision, pinRouting: true);
        Assert.True(Math.Abs(m.Loss - m.LossRef) / m.LossRef < 0.002, $"loss {m.Loss} vs {m.LossRef}");
        Assert.InRange(m.All, 1e-7, allLimit);
        Assert.InRange(m.Worst, 1e-6, worstLimit);
        // With free routing the figures are worse only through flipped expert choices; all together stays within 2x.
        var free = Measure(model, precision, pinRouting: false);
        Assert.InRange(free.All, 1e-7, 2 * allLimit);
    }

    [Fact]
    public void Fp32PrecisionIsTheF32ModelBitForBit()
    {
        var seqs = Sequences("v2-lite-tiny");
        var p = ParameterInit.LoadCheckpoint(Fixtures.Dir("v2-lite-tiny"), includeMtp: false);
        double a = GradComputation.Compute(new TrainModel(p), seqs);
        var g = (float[])p.Grad.Clone();
        double b = GradComputation.Compute(new TrainModel(p, TrainPrecision.Fp32), seqs);
        Assert.Equal(a, b);
        Assert.Equal(g, p.Grad);
    }

    [Fact]
    public void Bf16MomentsAreStoredInBf16AndF32MomentsAreNot()
    {
        var config = Modeling.ModelConfig.Load(Fixtures.Dir("v3-tiny"));
        foreach (bool bf16 in new[] { true, false })
        {
            var p = ParameterInit.Random(config, includeMtp: false, seed: 3);
            var rng = new Random(1);
            for (int i = 0; i < p.Grad.Length; i++) p.Grad[i] = (float)(rng.NextDouble() - 0.5) * 1e-3f;
            var opt = new AdamW(p) { Bf16Moments = bf16 };
            opt.Update(1, 1e-3, 1f);
            opt.Update(2, 1e-3, 1f);
            bool allBf16 = opt.M.Concat(opt.V).All(v => Numerics.BFloat16.Round(v) == v);
            Assert.Equal(bf16, allBf16);
        }
    }
}
