using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

public class GeneratorTests
{
    private static async Task<List<int>> Collect(IAsyncEnumerable<int> s)
    {
        var l = new List<int>();
        await foreach (var t in s) l.Add(t);
        return l;
    }

    [Theory]
    [InlineData("v3-tiny", "p1")]
    [InlineData("v2-lite-tiny", "p1")]
    public async Task GreedyGenerationReproducesTheFixture(string model, string p)
    {
        using var m = Transformer.Load(Fixtures.Dir(model));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        var g = new Generator(m);
        var stats = new GenerationStats();
        var ids = await Collect(g.GenerateAsync(r.ReadI32($"{p}.input_ids"), SamplingOptions.Greedy with { MaxNewTokens = 12 }, stats));
        Assert.Equal(r.ReadI32($"{p}.greedy_ids"), ids);
        Assert.Equal(12, stats.GeneratedTokens);
        Assert.Equal(FinishReason.Length, stats.FinishReason);
    }

    [Fact]
    public async Task ReusesTheCachedPrefixAndTruncates()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir("v3-tiny"), "reference.safetensors"));
        var prompt = r.ReadI32("p1.input_ids");
        var g = new Generator(m);
        var first = await Collect(g.GenerateAsync(prompt, SamplingOptions.Greedy with { MaxNewTokens = 6 }));
        // A follow-up turn that extends the history: the prompt's prefix is served from the cache.
        var followUp = prompt.Concat(first.Take(5)).ToArray();
        var stats = new GenerationStats();
        var second = await Collect(g.GenerateAsync(followUp, SamplingOptions.Greedy with { MaxNewTokens = 6 }, stats));
        Assert.Equal(prompt.Length + 5 - 1, stats.CachedPromptTokens);
        Assert.Equal(r.ReadI32("p1.greedy_ids").Skip(5).Take(6), second);
        // Rewind to the bare prompt and regenerate the same continuation.
        g.Truncate(prompt.Length);
        var again = await Collect(g.GenerateAsync(prompt, SamplingOptions.Greedy with { MaxNewTokens = 6 }));
        Assert.Equal(first, again);
    }

    [Fact]
    public async Task SeededSamplingRepeats()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var opts = new SamplingOptions { Temperature = 1.0, TopP = 0.9, Seed = 7, MaxNewTokens = 20 };
        var a = await Collect(new Generator(m).GenerateAsync(new[] { 1, 2, 3 }, opts));
        var b = await Collect(new Generator(m).GenerateAsync(new[] { 1, 2, 3 }, opts));
        Assert.Equal(a, b);
        Assert.Equal(20, a.Count);
    }

    [Fact]
    public async Task StopsAtTheContextAndRejectsLongPrompts()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var g = new Generator(m, contextLength: 10);
        var stats = new GenerationStats();
        var ids = await Collect(g.GenerateAsync(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, SamplingOptions.Greedy, stats));
        Assert.Equal(FinishReason.Length, stats.FinishReason);
        Assert.Equal(3, ids.Count); // positions 8 and 9 fill the context; the third token needs no further forward
        var e = await Assert.ThrowsAsync<DssException>(() => Collect(g.GenerateAsync(Enumerable.Range(1, 11).ToArray(), SamplingOptions.Greedy)));
        Assert.Contains("prompt too long", e.Message);
        Assert.Throws<DssException>(() => new Generator(m, contextLength: 1000));
    }

    [Fact]
    public async Task CancellationEndsTheStream()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        using var cts = new CancellationTokenSource();
        var stats = new GenerationStats();
        var got = new List<int>();
        await foreach (var t in new Generator(m).GenerateAsync(new[] { 1, 2, 3 }, SamplingOptions.Greedy, stats, cts.Token))
        {
            got.Add(t);
            if (got.Count == 3) cts.Cancel();
        }
        Assert.Equal(3, got.Count);
        Assert.Equal(FinishReason.Cancelled, stats.FinishReason);
    }
}
