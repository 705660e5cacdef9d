using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Tests;

/// <summary>Independent double-precision references for the filters, ranking by (p desc, id asc).</summary>
internal static class SamplerReference
{
    public static double[] Softmax(float[] logits, double temperature)
    {
        double max = logits.Max();
        var p = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        double sum = p.Sum();
        return p.Select(x => x / sum).ToArray();
    }

    public static int[] Ranked(double[] p) =>
        Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();

    /// <summary>Smallest prefix of the ranking whose mass reaches topP.</summary>
    public static HashSet<int> Nucleus(double[] p, double topP)
    {
        var set = new HashSet<int>();
        double cum = 0;
        foreach (int i in Ranked(p))
        {
            set.Add(i);
            cum += p[i];
            if (cum >= topP) break;
        }
        return set;
    }

    public static float[] RandomLogits(Random r, int vocab, double scale)
    {
        var l = new float[vocab];
        for (int i = 0; i < vocab; i++)
            l[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble()));
        return l;
    }

    public static HashSet<int> Support(float[] probs) =>
        Enumerable.Range(0, probs.Length).Where(i => probs[i] > 0).ToHashSet();
}

public class SamplerFilterTests
{
    private const int Cases = 200, DrawsPerCase = 10;

    [Fact]
    public void TopKNeverEmitsOutsideTheKLargest()
    {
        var r = new Random(1);
        for (int c = 0; c < Cases; c++)
        {
            int vocab = r.Next(2, 200), k = r.Next(1, vocab + 3);
            var logits = SamplerReference.RandomLogits(r, vocab, 0.5 + 3 * r.NextDouble());
            var s = new Sampler(new SamplingOptions { TopK = k, Temperature = 0.5 + r.NextDouble(), Seed = c }, vocab);
            var allowed = SamplerReference.Ranked(logits.Select(x => (double)x).ToArray()).Take(k).ToHashSet();
            var probs = new float[vocab];
            s.ComputeProbabilities(logits, probs);
            Assert.Subset(allowed, SamplerReference.Support(probs));
            Assert.Equal(Math.Min(k, vocab), SamplerReference.Support(probs).Count);
            for (int d = 0; d < DrawsPerCase; d++) Assert.Contains(s.Sample(logits), allowed);
        }
    }

    [Fact]
    public void TopPNeverEmitsOutsideTheSmallestNucleus()
    {
        var r = new Random(2);
        for (int c = 0; c < Cases; c++)
        {
            int vocab = r.Next(2, 200);
            double topP = 0.05 + 0.9 * r.NextDouble(), t = 0.5 + r.NextDouble();
            var logits = SamplerReference.RandomLogits(r, vocab, 0.5 + 3 * r.NextDouble());
            var s = new Sampler(new SamplingOptions { TopP = topP, Temperature = t, Seed = c }, vocab);
            var p = SamplerReference.Softmax(logits, t);
            var outer = SamplerReference.Nucleus(p, topP + 1e-5); // float rounding may only matter right at the edge
            var inner = SamplerReference.Nucleus(p, topP - 1e-5);
            var probs = new float[vocab];
            s.ComputeProbabilities(logits, probs);
            var support = SamplerReference.Support(probs);
            Assert.Subset(outer, support);
            Assert.True(support.IsSupersetOf(inner), $"case {c}: missing {string.Join(",", inner.Except(support))}; topP={topP} support={support.Count} inner={inner.Count} outer={outer.Count}");
            for (int d = 0; d < DrawsPerCase; d++) Assert.Contains(s.Sample(logits), outer);
        }
    }

    [Fact]
    public void MinPNeverEmitsBelowMinPTimesMax()
    {
        var r = new Random(3);
        for (int c = 0; c < Cases; c++)
        {
            int vocab = r.Next(2, 200);
            double minP = r.NextDouble(), t = 0.5 + r.NextDouble();
            var logits = SamplerReference.RandomLogits(r, vocab, 0.5 + 3 * r.NextDouble());
            var s = new Sampler(new SamplingOptions { MinP = minP, Temperature = t, Seed = c }, vocab);
            var p = SamplerReference.Softmax(logits, t);
            double threshold = minP * p.Max();
            var probs = new float[vocab];
            s.ComputeProbabilities(logits, probs);
            foreach (int i in SamplerReference.Support(probs)) Assert.True(p[i] >= threshold * (1 - 1e-5), $"token {i} p={p[i]} < {threshold}");
            for (int i = 0; i < vocab; i++)
                if (p[i] >= threshold * (1 + 1e-5)) Assert.True(probs[i] > 0, $"token {i} was dropped");
            for (int d = 0; d < DrawsPerCase; d++) Assert.True(p[s.Sample(logits)] >= threshold * (1 - 1e-5));
        }
    }

    [Fact]
    public void CombinedFiltersApplyTopKThenTopPOverTheRenormalisedSetThenMinP()
    {
        var r = new Random(4);
        for (int c = 0; c < Cases; c++)
        {
            int vocab = r.Next(2, 200), k = r.Next(1, vocab + 1);
            double topP = 0.05 + 0.9 * r.NextDouble(), minP = 0.3 * r.NextDouble();
            var logits = SamplerReference.RandomLogits(r, vocab, 0.5 + 3 * r.NextDouble());
            var s = new Sampler(new SamplingOptions { TopK = k, TopP = topP, MinP = minP, Seed = c }, vocab);
            var p = SamplerReference.Softmax(logits, 1);
            var topK = SamplerReference.Ranked(p).Take(k).ToArray();
            double massK = topK.Sum(i => p[i]);
            var pk = new double[vocab];
            foreach (int i in topK) pk[i] = p[i] / massK;
            var outer = SamplerReference.Nucleus(pk, topP + 1e-5).Where(i => p[i] >= minP * p.Max() * (1 - 1e-5)).ToHashSet();
            var probs = new float[vocab];
            s.ComputeProbabilities(logits, probs);
            var inner = SamplerReference.Nucleus(pk, topP - 1e-5).Where(i => p[i] >= minP * p.Max() * (1 + 1e-5)).ToHashSet();
            Assert.Subset(outer, SamplerReference.Support(probs));
            Assert.True(SamplerReference.Support(probs).IsSupersetOf(inner), $"case {c}");
            Assert.Equal(1.0, probs.Sum(x => (double)x), 1e-5);
            for (int d = 0; d < DrawsPerCase; d++) Assert.Contains(s.Sample(logits), outer);
        }
    }

    [Fact]
    public void TopPOnALargePeakedVocabularyKeepsExactlyTheNucleus()
    {
        var r = new Random(6);
        for (int c = 0; c < 3; c++)
        {
            const int vocab = 20_000;
            var logits = SamplerReference.RandomLogits(r, vocab, 4);
            for (int i = 0; i < 20; i++) logits[r.Next(vocab)] += 12; // a few likely tokens over a long tail
            double topP = new[] { 0.5, 0.9, 0.999 }[c];
            var s = new Sampler(new SamplingOptions { TopP = topP, Seed = c }, vocab);
            var p = SamplerReference.Softmax(logits, 1);
            var probs = new float[vocab];
            s.ComputeProbabilities(logits, probs);
            var support = SamplerReference.Support(probs);
            Assert.Subset(SamplerReference.Nucleus(p, topP + 1e-5), support);
            Assert.True(support.IsSupersetOf(SamplerReference.Nucleus(p, topP - 1e-5)));
        }
    }

    [Fact]
    public void GreedyEqualsArgmaxWithTiesToTheLowestId()
    {
        var r = new Random(5);
        for (int c = 0; c < Cases; c++)
        {
            int vocab = r.Next(1, 300);
            var logits = SamplerReference.RandomLogits(r, vocab, 2);
            var s = new Sampler(SamplingOptions.Greedy with { TopK = 3, TopP = 0.5 }, vocab);
            Assert.Equal(SamplerReference.Ranked(logits.Select(x => (double)x).ToArray())[0], s.Sample(logits));
            var probs = new float[vocab];
            s.ComputeProbabilities(logits, probs);
            Assert.Equal(1f, probs[s.Sample(logits)]);
            Assert.Equal(1.0, probs.Sum(x => (double)x));
        }
        var tie = new Sampler(SamplingOptions.Greedy, 5);
        Assert.Equal(1, tie.Sample([1f, 3f, float.NegativeInfinity, 3f, 0f]));
    }

    [Fact]
    public void TinyTemperatureBehavesLikeGreedyAndTiesKeepBothTokens()
    {
        var s = new Sampler(new SamplingOptions { Temperature = 1e-30, Seed = 1 }, 4);
        var probs = new float[4];
        s.ComputeProbabilities([0.5f, 2f, 2f, 1.99f], probs);
        Assert.Equal([0f, 0.5f, 0.5f, 0f], probs);
    }

    [Fact]
    public void BadLogitsFailClearly()
    {
        var s = new Sampler(new SamplingOptions { Seed = 1 }, 3);
        Assert.Contains("NaN", Assert.Throws<DssException>(() => s.Sample([0f, float.NaN, 1f])).Message);
        Assert.Contains("-infinity", Assert.Throws<DssException>(() => s.Sample([float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity])).Message);
        Assert.Contains("expected a row of 3", Assert.Throws<DssException>(() => s.Sample([0f, 1f])).Message);
        Assert.Throws<DssException>(() => s.Accept(3));
    }

    [Fact]
    public void NegativeInfinityLogitsAreNeverSampled()
    {
        var s = new Sampler(new SamplingOptions { Seed = 9 }, 4);
        float[] logits = [float.NegativeInfinity, 0f, float.NegativeInfinity, 0f];
        for (int i = 0; i < 200; i++) Assert.Contains(s.Sample(logits), new[] { 1, 3 });
    }
}
