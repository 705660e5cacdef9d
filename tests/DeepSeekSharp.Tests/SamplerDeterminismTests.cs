using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Tests;

public class SamplerDeterminismTests
{
    private static int[] Draws(SamplingOptions o, float[] logits, int n)
    {
        var s = new Sampler(o, logits.Length);
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = s.Sample(logits);
        return ids;
    }

    [Fact]
    public void SameSeedRepeatsOver1000DrawsAndDifferentSeedsDiffer()
    {
        var logits = SamplerReference.RandomLogits(new Random(11), 50, 1);
        var o = new SamplingOptions { Seed = 1234, TopK = 40, TopP = 0.95, MinP = 0.01, Temperature = 0.8 };
        var a = Draws(o, logits, 1000);
        Assert.Equal(a, Draws(o, logits, 1000));
        Assert.True(a.Distinct().Count() > 5);
        Assert.NotEqual(a, Draws(o with { Seed = 1235 }, logits, 1000));
        Assert.NotEqual(a, Draws(o with { Seed = -1234 }, logits, 1000));
    }

    [Fact]
    public void SeededGenerationWithPenaltiesRepeats()
    {
        var r = new Random(12);
        var rows = Enumerable.Range(0, 200).Select(_ => SamplerReference.RandomLogits(r, 64, 2)).ToArray();
        int[] Run()
        {
            var s = new Sampler(new SamplingOptions { Seed = 77, RepetitionPenalty = 1.1, PresencePenalty = 0.3, FrequencyPenalty = 0.2, TopP = 0.9 }, 64);
            s.AcceptPrompt([1, 2, 3]);
            return rows.Select(row => s.SampleAndAccept(row)).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void SeedIsSignExtendedAndUnseededSamplersGetDistinctSeeds()
    {
        Assert.Equal(ulong.MaxValue, new Sampler(new SamplingOptions { Seed = -1 }, 2).Seed);
        Assert.Equal(5UL, new Sampler(new SamplingOptions { Seed = 5 }, 2).Seed);
        Assert.NotEqual(new Sampler(new SamplingOptions(), 2).Seed, new Sampler(new SamplingOptions(), 2).Seed);
    }

    [Fact]
    public void GreedyDrawsNoRandomNumbers()
    {
        var a = new Sampler(SamplingOptions.Greedy with { Seed = 5 }, 3);
        var b = new Sampler(SamplingOptions.Greedy with { Seed = 5 }, 3);
        for (int i = 0; i < 10; i++) a.Sample([0f, 1f, 2f]);
        Assert.Equal(b.NextUniform(), a.NextUniform());
    }

    [Fact]
    public void StepsAllocateNothingAfterConstruction()
    {
        var logits = SamplerReference.RandomLogits(new Random(13), 4096, 2);
        var probs = new float[4096];
        var s = new Sampler(new SamplingOptions { Seed = 1, TopK = 50, TopP = 0.9, MinP = 0.02, RepetitionPenalty = 1.2, PresencePenalty = 0.1 }, 4096);
        var u = new Sampler(new SamplingOptions { Seed = 1, TopP = 0.8 }, 4096);
        void Step()
        {
            s.SampleAndAccept(logits);
            u.SampleAndAccept(logits);
            s.ComputeProbabilities(logits, probs);
        }
        for (int i = 0; i < 20; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
