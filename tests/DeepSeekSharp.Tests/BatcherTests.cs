using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

public class BatcherTests
{
    private static async Task<List<int>> Collect(IAsyncEnumerable<int> s)
    {
        var l = new List<int>();
        await foreach (var t in s) l.Add(t);
        return l;
    }

    private static int[] Prompt(int seed, int length)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => rng.Next(2, 1024)).ToArray();
    }

    private static async Task<List<int>> Alone(Transformer m, int[] prompt, SamplingOptions o) =>
        await Collect(new Generator(m).GenerateAsync(prompt, o));

    private static async Task WaitFor(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task ConcurrentGreedySequencesEqualEachRunAlone()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var prompts = new[] { Prompt(1, 5), Prompt(2, 17), Prompt(3, 40), Prompt(4, 1), Prompt(5, 90), Prompt(6, 9) };
        var lengths = new[] { 20, 7, 30, 12, 25, 3 };
        var expected = new List<int>[prompts.Length];
        for (int i = 0; i < prompts.Length; i++)
            expected[i] = await Alone(m, prompts[i], SamplingOptions.Greedy with { MaxNewTokens = lengths[i] });

        using var b = new Batcher(m, new BatcherOptions { MaxBatch = 4 });
        int maxRows = 0;
        b.BeforeStep = items => maxRows = Math.Max(maxRows, items.Count);
        var stats = prompts.Select(_ => new GenerationStats()).ToArray();
        var runs = prompts.Select((p, i) => Task.Run(() => Collect(b.GenerateAsync(p, SamplingOptions.Greedy with { MaxNewTokens = lengths[i] }, stats[i])))).ToArray();
        var got = await Task.WhenAll(runs);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i], got[i]);
            Assert.Equal(got[i].Count, stats[i].GeneratedTokens);
            Assert.Equal(prompts[i].Length, stats[i].PromptTokens);
            Assert.NotNull(stats[i].FinishReason);
        }
        Assert.True(maxRows > 1, "sequences never shared a step");
        Assert.True(maxRows <= 4);
        var metrics = b.GetMetrics();
        Assert.Equal(0, metrics.ActiveSequences);
        Assert.Equal(0, metrics.CacheBytesInUse);
        Assert.Equal(prompts.Length, metrics.Completed);
        Assert.Equal(got.Sum(g => g.Count), metrics.GeneratedTokens);
        Assert.Equal(prompts.Sum(p => p.Length), metrics.PromptTokens);
    }

    [Fact]
    public async Task SeededSamplingInABatchEqualsTheSameSeedAlone()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var o = new SamplingOptions { Temperature = 0.8, TopP = 0.9, TopK = 50, Seed = 11, PresencePenalty = 0.5, FrequencyPenalty = 0.3, MaxNewTokens = 15 };
        var expected = await Alone(m, Prompt(7, 12), o);
        using var b = new Batcher(m);
        var runs = Enumerable.Range(0, 3).Select(_ => Task.Run(() => Collect(b.GenerateAsync(Prompt(7, 12), o)))).ToArray();
        foreach (var r in await Task.WhenAll(runs)) Assert.Equal(expected, r);
    }

    [Fact]
    public async Task LongPromptsArePrefilledInChunksWhileOthersKeepDecoding()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var opts = new BatcherOptions { MaxBatch = 4, PrefillChunk = 16, Speculative = false };
        var longPrompt = Prompt(8, 100);
        var greedy = SamplingOptions.Greedy with { MaxNewTokens = 10 };
        List<int> alone;
        using (var solo = new Batcher(m, opts)) alone = await Collect(solo.GenerateAsync(longPrompt, greedy));

        using var b = new Batcher(m, opts);
        var steps = new List<(int Decodes, int PrefillTokens)>();
        // From its third decode step the running sequence waits until the newcomer is queued, so it is still decoding
        // while the newcomer's chunks run however the test threads are scheduled (a loaded machine had let 120 decode
        // steps pass before the newcomer arrived).
        using var queued = new ManualResetEventSlim();
        int decodeSteps = 0;
        b.BeforeStep = items =>
        {
            int decodes = items.Count(i => i.Tokens.Length == 1);
            lock (steps) steps.Add((decodes, items.Where(i => i.Tokens.Length > 1).Sum(i => i.Tokens.Length)));
            if (decodes > 0 && Interlocked.Increment(ref decodeSteps) >= 3) queued.Wait(TimeSpan.FromSeconds(10));
            Thread.Sleep(1);
        };
        var running = Task.Run(() => Collect(b.GenerateAsync(Prompt(9, 3), SamplingOptions.Greedy with { MaxNewTokens = 40 })));
        await WaitFor(() => b.GetMetrics().GeneratedTokens >= 2, "the first sequence to decode");
        var newcomerTask = Task.Run(() => Collect(b.GenerateAsync(longPrompt, greedy)));
        await WaitFor(() => b.GetMetrics() is { } mm && mm.QueueLength + mm.ActiveSequences >= 2, "the newcomer to queue");
        queued.Set();
        var newcomer = await newcomerTask;
        await running;

        Assert.Equal(alone, newcomer);
        lock (steps)
        {
            Assert.All(steps, s => Assert.True(s.PrefillTokens <= 16, $"a step ran {s.PrefillTokens} prefill tokens"));
            // The 100-token prompt took 7 chunk steps, and the running sequence decoded in those steps.
            var prefillSteps = steps.Where(s => s.PrefillTokens > 0 && s.Decodes > 0).ToList();
            Assert.True(prefillSteps.Count >= 6, $"only {prefillSteps.Count} prefill steps shared with a decode");
        }
    }

    [Fact]
    public async Task FullQueueRefusesWithASpecificError()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        using var b = new Batcher(m, new BatcherOptions { MaxBatch = 1, MaxQueue = 1 });
        b.BeforeStep = _ => Thread.Sleep(5);
        var long1 = new SamplingOptions { Temperature = 1, Seed = 1, MaxNewTokens = 60 };
        using var cts = new CancellationTokenSource();
        var a = Task.Run(() => Collect(b.GenerateAsync(Prompt(1, 4), long1, ct: cts.Token)));
        await WaitFor(() => b.GetMetrics().ActiveSequences == 1, "the first request to run");
        var queued = Task.Run(() => Collect(b.GenerateAsync(Prompt(2, 4), long1, ct: cts.Token)));
        await WaitFor(() => b.GetMetrics().QueueLength == 1, "the second request to queue");
        var e = await Assert.ThrowsAsync<BatcherQueueFullException>(() => Collect(b.GenerateAsync(Prompt(3, 4), long1)));
        Assert.Contains("retry later", e.Message);
        Assert.Equal(1, b.GetMetrics().Refused);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await WaitFor(() => b.GetMetrics() is { ActiveSequences: 0, QueueLength: 0, CacheBytesInUse: 0 }, "everything to be freed");
        Assert.Equal(2, b.GetMetrics().Cancelled);
    }

    [Fact]
    public async Task CacheBudgetDecidesAdmission()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        long perToken = LatentCache.For(m.Config, 1).BytesPerToken;
        // Room for 50 tokens: a 4 + 40 request fits, two of them do not.
        using var b = new Batcher(m, new BatcherOptions { MaxBatch = 8, CacheBudgetBytes = 50 * perToken, Speculative = false });
        long peak = 0;
        b.BeforeStep = _ => { peak = Math.Max(peak, b.GetMetrics().CacheBytesInUse); Thread.Sleep(1); };
        var o = SamplingOptions.Greedy with { MaxNewTokens = 40 };
        var expected = await Alone(m, Prompt(4, 4), o);
        var runs = Enumerable.Range(0, 3).Select(_ => Task.Run(() => Collect(b.GenerateAsync(Prompt(4, 4), o)))).ToArray();
        await WaitFor(() => b.GetMetrics().QueueLength > 0 || runs.All(r => r.IsCompleted), "a request to wait for budget");
        foreach (var r in await Task.WhenAll(runs)) Assert.Equal(expected, r);
        Assert.True(peak <= 50 * perToken, $"caches held {peak} bytes over a budget of {50 * perToken}");
        Assert.Equal(44 * perToken, peak);

        var tooBig = await Assert.ThrowsAsync<DssException>(() => Collect(b.GenerateAsync(Prompt(4, 4), SamplingOptions.Greedy with { MaxNewTokens = 60 })));
        Assert.Contains("budget", tooBig.Message);
    }

    [Fact]
    public async Task CancellingMidStreamFreesTheSequenceAtOnce()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        using var b = new Batcher(m);
        b.BeforeStep = _ => Thread.Sleep(5);
        using var cts = new CancellationTokenSource();
        var stats = new GenerationStats();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in b.GenerateAsync(Prompt(5, 6), new SamplingOptions { Seed = 3, MaxNewTokens = 100 }, stats, cts.Token))
                if (++seen == 3) cts.Cancel();
        });
        await WaitFor(() => b.GetMetrics() is { ActiveSequences: 0, CacheBytesInUse: 0 }, "the cache to be freed", 2_000);
        Assert.Equal(FinishReason.Cancelled, stats.FinishReason);
        Assert.True(stats.GeneratedTokens < 20, $"generated {stats.GeneratedTokens} tokens after cancelling at 3");
        Assert.Equal(1, b.GetMetrics().Cancelled);

        // Breaking out of the enumeration frees it too.
        var stats2 = new GenerationStats();
        await foreach (var _ in b.GenerateAsync(Prompt(6, 6), new SamplingOptions { Seed = 3, MaxNewTokens = 100 }, stats2))
            break;
        await WaitFor(() => b.GetMetrics() is { ActiveSequences: 0, CacheBytesInUse: 0 }, "the abandoned cache to be freed", 2_000);
        Assert.Equal(FinishReason.Cancelled, stats2.FinishReason);
    }

    [Fact]
    public async Task FinishReasonsAndBadRequests()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        using var b = new Batcher(m, new BatcherOptions { ContextLength = 64 });
        var prompt = Prompt(10, 8);
        var greedy = await Alone(m, prompt, SamplingOptions.Greedy with { MaxNewTokens = 6 });

        var s = new GenerationStats();
        Assert.Equal(greedy.Take(4), await Collect(b.GenerateAsync(prompt, SamplingOptions.Greedy with { MaxNewTokens = 4 }, s)));
        Assert.Equal(FinishReason.Length, s.FinishReason);

        s = new GenerationStats();
        var stopped = await Collect(b.GenerateAsync(prompt, SamplingOptions.Greedy with { MaxNewTokens = 6, StopTokenIds = [greedy[2]] }, s));
        Assert.Equal(greedy.TakeWhile(t => t != greedy[2]), stopped);
        Assert.Equal(FinishReason.Stop, s.FinishReason);

        s = new GenerationStats();
        Assert.Empty(await Collect(b.GenerateAsync(prompt, SamplingOptions.Greedy with { MaxNewTokens = 0 }, s)));
        Assert.Equal(FinishReason.Length, s.FinishReason);

        // The context ends generation: 60 prompt tokens in a context of 64 leave room for 5 new tokens.
        s = new GenerationStats();
        var full = await Collect(b.GenerateAsync(Prompt(11, 60), SamplingOptions.Greedy with { StopTokenIds = [] }, s));
        Assert.True(full.Count <= 5);
        if (full.Count == 5) Assert.Equal(FinishReason.Length, s.FinishReason);

        Assert.Contains("prompt too long", (await Assert.ThrowsAsync<DssException>(() => Collect(b.GenerateAsync(Prompt(12, 65), SamplingOptions.Greedy)))).Message);
        Assert.Contains("empty", (await Assert.ThrowsAsync<DssException>(() => Collect(b.GenerateAsync(Array.Empty<int>(), SamplingOptions.Greedy)))).Message);
        Assert.Contains("vocabulary", (await Assert.ThrowsAsync<DssException>(() => Collect(b.GenerateAsync(new[] { 5, 4096 }, SamplingOptions.Greedy)))).Message);
        Assert.Throws<DssException>(() => new Batcher(m, new BatcherOptions { ContextLength = 4096 }));
        Assert.Throws<DssException>(() => new Batcher(m, new BatcherOptions { MaxBatch = 0 }));
    }
}

public class BatcherSpeculativeTests
{
    [Fact]
    public async Task BatchedSpeculativeGreedyEqualsPlainDecodingAlone()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var rng = new Random(9);
        var prompts = Enumerable.Range(0, 6).Select(i => Enumerable.Range(0, 3 + 11 * i).Select(_ => rng.Next(2, 1024)).ToArray()).ToArray();
        var o = SamplingOptions.Greedy with { MaxNewTokens = 24 };
        var expected = new List<List<int>>();
        foreach (var p in prompts)
        {
            var l = new List<int>();
            await foreach (var t in new Generator(m, speculative: false).GenerateAsync(p, o)) l.Add(t);
            expected.Add(l);
        }
        using var b = new Batcher(m, new BatcherOptions { MaxBatch = 4, Speculative = true });
        var stats = prompts.Select(_ => new GenerationStats()).ToArray();
        var got = await Task.WhenAll(prompts.Select((p, i) => Task.Run(async () =>
        {
            var l = new List<int>();
            await foreach (var t in b.GenerateAsync(p, o, stats[i])) l.Add(t);
            return l;
        })));
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i], got[i]);
            Assert.Equal(stats[i].GeneratedTokens - 1, stats[i].MainSteps + stats[i].AcceptedDrafts);
        }
        var metrics = b.GetMetrics();
        Assert.True(metrics.DraftedTokens > 0);
        Assert.Equal(stats.Sum(s => s.DraftedTokens), metrics.DraftedTokens);
        Assert.Equal(stats.Sum(s => s.AcceptedDrafts), metrics.AcceptedDrafts);
        Assert.Equal(0, metrics.CacheBytesInUse);
    }
}
