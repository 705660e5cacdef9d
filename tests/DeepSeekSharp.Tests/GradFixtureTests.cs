using Xunit.Abstractions;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Training;

namespace DeepSeekSharp.Tests;

/// <summary>`dss grad` against the PyTorch loss and gradients of ../shared/fixtures (train.loss, grad.*).</summary>
public class GradFixtureTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("v3-tiny")]
    [InlineData("v2-lite-tiny")]
    public void LossAndEveryGradientMatchReference(string model)
    {
        string dir = Fixtures.Dir(model);
        var p = ParameterInit.LoadCheckpoint(dir, includeMtp: false);
        var m = new TrainModel(p);
        using var r = SafetensorsFile.Open(Path.Combine(dir, "reference.safetensors"));
        var seqs = new[] { r.ReadI32("p0.input_ids"), r.ReadI32("p1.input_ids") };
        double loss = GradComputation.Compute(m, seqs);
        Assert.Equal(r.ReadF32("train.loss")[0], loss, 1e-4);

        int compared = 0;
        double worstRatio = 0;
        string worstName = "";
        foreach (var name in r.Tensors.Keys.Where(n => n.StartsWith("grad.", StringComparison.Ordinal)))
        {
            var reference = r.ReadF32(name);
            var ours = p.Gradient(name["grad.".Length..]);
            ForwardFixtureTests.AssertClose(reference, ours, $"{model} {name}");
            double maxRef = 0, maxDiff = 0;
            for (int i = 0; i < reference.Length; i++)
            {
                maxRef = Math.Max(maxRef, Math.Abs(reference[i]));
                maxDiff = Math.Max(maxDiff, Math.Abs(reference[i] - ours[i]));
            }
            double ratio = maxDiff / Math.Max(1, maxRef);
            if (ratio > worstRatio) (worstRatio, worstName) = (ratio, name);
            compared++;
        }
        output.WriteLine($"{model}: loss {loss:F7} (ref {r.ReadF32("train.loss")[0]:F7}); worst max|ours-ref|/max(1,max|ref|) = {worstRatio:E2} in {worstName}");
        int trainable = p.Tensors.Count(t => t.Trainable);
        Assert.Equal(trainable, compared);
    }
}
