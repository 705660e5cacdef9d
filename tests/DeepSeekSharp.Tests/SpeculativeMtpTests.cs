using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

/// <summary>MTP speculative decoding keeps the main model's output: token for token (greedy), in distribution (sampling).</summary>
public class SpeculativeMtpTests
{
    private static async Task<(List<int> Ids, GenerationStats Stats)> Run(Transformer m, int[] prompt, SamplingOptions o, bool speculative)
    {
        var stats = new GenerationStats();
        var ids = new List<int>();
        await foreach (var t in new Generator(m, speculative: speculative).GenerateAsync(prompt, o, stats)) ids.Add(t);
        return (ids, stats);
    }

    [Theory]
    [InlineData("p0")]
    [InlineData("p1")]
    [InlineData("p2")]
    public async Task GreedyWithSpeculationEqualsPlainDecoding(string p)
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir("v3-tiny"), "reference.safetensors"));
        var prompt = r.ReadI32($"{p}.input_ids");
        var o = SamplingOptions.Greedy with { MaxNewTokens = 40 };
        var (plain, ps) = await Run(m, prompt, o, speculative: false);
        var (spec, ss) = await Run(m, prompt, o, speculative: true);
        Assert.Equal(plain, spec);
        Assert.Equal(r.ReadI32($"{p}.greedy_ids"), spec.Take(12));
        Assert.Equal(ps.GeneratedTokens - 1, ps.MainSteps);
        Assert.True(ss.DraftedTokens > 0);
        Assert.Equal(ss.GeneratedTokens - 1, ss.MainSteps + ss.AcceptedDrafts);
    }

    [Fact]
    public async Task AcceptedDraftsAreUsedWhenTheMtpHeadAgrees()
    {
        // The fixture's random MTP head rarely agrees with the main model; with a repetitive prompt at least the
        // accounting must hold: every generated token after the first comes from a main step or an accepted draft.
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var (_, s) = await Run(m, Enumerable.Repeat(5, 20).ToArray(), SamplingOptions.Greedy with { MaxNewTokens = 60 }, true);
        Assert.Equal(s.GeneratedTokens - 1, s.MainSteps + s.AcceptedDrafts);
        Assert.InRange(s.TokensPerStep, 1.0, 2.0);
    }

    /// <summary>
    /// The joint distribution of the first two sampled tokens (the second goes through draft, verify and, on rejection,
    /// the residual draw) against the exact p(t1) p(t2 | t1) of the main model: a chi-square test.
    /// </summary>
    [Fact]
    public async Task SampledDistributionMatchesTheMainModel()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var prompt = new[] { 3, 14, 15, 92, 65 };
        var o = new SamplingOptions { Temperature = 1.0, TopK = 4, MaxNewTokens = 2 };
        int V = m.Config.VocabSize;

        // Exact joint distribution.
        var exact = new Dictionary<(int, int), double>();
        var probe = new Sampler(o, V);
        var p1 = new float[V];
        probe.ComputeProbabilities(m.Forward(prompt, 0, m.NewCache(8, CacheDType.BF16), lastOnly: true), p1);
        for (int a = 0; a < V; a++)
        {
            if (p1[a] == 0) continue;
            var p2 = new float[V];
            probe.ComputeProbabilities(m.Forward(prompt.Append(a).ToArray(), 0, m.NewCache(8, CacheDType.BF16), lastOnly: true), p2);
            for (int b = 0; b < V; b++) if (p2[b] > 0) exact[(a, b)] = p1[a] * (double)p2[b];
        }

        const int N = 1200;
        var counts = new Dictionary<(int, int), int>();
        var g = new Generator(m, contextLength: 16, speculative: true);
        int drafted = 0, accepted = 0;
        for (int seed = 0; seed < N; seed++)
        {
            var stats = new GenerationStats();
            var ids = new List<int>();
            await foreach (var t in g.GenerateAsync(prompt, o with { Seed = seed }, stats)) ids.Add(t);
            Assert.Equal(2, ids.Count);
            var key = (ids[0], ids[1]);
            Assert.True(exact.ContainsKey(key), $"sampled ({key}) which the main model's filtered distribution excludes");
            counts[key] = counts.GetValueOrDefault(key) + 1;
            drafted += stats.DraftedTokens;
            accepted += stats.AcceptedDrafts;
        }
        Assert.Equal(N, drafted);

        // Pool cells with small expectations, then chi-square with (cells - 1) degrees of freedom.
        double chi = 0, pooledE = 0, pooledO = 0;
        int cells = 0;
        foreach (var (k, pk) in exact)
        {
            double e = pk * N;
            int c = counts.GetValueOrDefault(k);
            if (e < 5) { pooledE += e; pooledO += c; continue; }
            chi += (c - e) * (c - e) / e;
            cells++;
        }
        if (pooledE > 0) { chi += (pooledO - pooledE) * (pooledO - pooledE) / pooledE; cells++; }
        // 99.9th percentile of chi-square: df + 3.1 sqrt(2 df) + 5 is a safe upper bound for df in 5..40.
        int df = cells - 1;
        double limit = df + 3.1 * Math.Sqrt(2.0 * df) + 5;
        Assert.True(chi < limit, $"chi-square {chi:F1} over {df} dof exceeds {limit:F1} (accepted {accepted}/{drafted} drafts)");
    }
}

public class SpeculativeAcceptanceRuleTests
{
    /// <summary>Draft from q, accept or resample: the outputs follow p (chi-square over 200k draws).</summary>
    [Theory]
    [InlineData(new float[] { 0.5f, 0.2f, 0.2f, 0.1f, 0f }, new float[] { 0.1f, 0.4f, 0.1f, 0.1f, 0.3f })]
    [InlineData(new float[] { 0.25f, 0.25f, 0.25f, 0.25f, 0f }, new float[] { 0.25f, 0.25f, 0.25f, 0.25f, 0f })]
    [InlineData(new float[] { 0f, 0f, 0.6f, 0.4f, 0f }, new float[] { 0.9f, 0.1f, 0f, 0f, 0f })]
    public void OutputFollowsTheMainDistribution(float[] p, float[] q)
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 1, Seed = 11 }, p.Length);
        const int N = 200_000;
        var counts = new int[p.Length];
        var work = new float[p.Length];
        for (int i = 0; i < N; i++)
        {
            int draft = sampler.SampleFromProbabilities(q);
            p.CopyTo(work, 0);
            counts[MtpDrafter.AcceptOrResample(work, q, draft, sampler)]++;
        }
        double chi = 0;
        int df = -1;
        for (int k = 0; k < p.Length; k++)
        {
            if (p[k] == 0) { Assert.Equal(0, counts[k]); continue; }
            double e = p[k] * N;
            chi += (counts[k] - e) * (counts[k] - e) / e;
            df++;
        }
        Assert.True(chi < df + 3.1 * Math.Sqrt(2.0 * Math.Max(df, 1)) + 5, $"chi-square {chi:F2} with {df} dof: counts {string.Join(",", counts)}");
    }
}
