using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Tests;

public class SamplerDistributionTests
{
    private static readonly float[] Logits = [1f, 0.5f, 0f, -0.5f, 2f, -1f];
    private const int N = 30_000;

    /// <summary>Pearson chi-square of N draws of the sampler against the expected probabilities.</summary>
    private static double ChiSquare(SamplingOptions options, double[] expected)
    {
        var s = new Sampler(options, Logits.Length);
        var counts = new int[Logits.Length];
        for (int i = 0; i < N; i++) counts[s.Sample(Logits)]++;
        double chi = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (expected[i] == 0) { Assert.Equal(0, counts[i]); continue; }
            double e = expected[i] * N;
            chi += (counts[i] - e) * (counts[i] - e) / e;
        }
        return chi;
    }

    // 99.9% quantile of chi-square with 5 degrees of freedom.
    private const double Critical5 = 20.52;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TemperatureOneFrequenciesMatchSoftmax(int seed)
    {
        var p = SamplerReference.Softmax(Logits, 1);
        Assert.InRange(ChiSquare(new SamplingOptions { Seed = seed }, p), 0, Critical5);
    }

    [Fact]
    public void TheStatisticRejectsTheWrongDistribution()
    {
        var p = SamplerReference.Softmax(Logits, 1);
        Assert.True(ChiSquare(new SamplingOptions { Seed = 1, Temperature = 1.2 }, p) > 10 * Critical5);
    }

    [Fact]
    public void TemperatureAndTopKFrequenciesMatchTheRenormalisedDistribution()
    {
        var p = SamplerReference.Softmax(Logits, 0.7);
        var top3 = SamplerReference.Ranked(p).Take(3).ToHashSet();
        double mass = top3.Sum(i => p[i]);
        var q = p.Select((x, i) => top3.Contains(i) ? x / mass : 0).ToArray();
        Assert.InRange(ChiSquare(new SamplingOptions { Seed = 4, Temperature = 0.7, TopK = 3 }, q), 0, 13.82); // 2 dof
    }
}
