using System.Diagnostics;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Benchmarking;

/// <summary>Aggregate decode speed of N concurrent streams through the continuous batcher.</summary>
public sealed record StreamsResult(int Streams, int TokensPerStream, int GeneratedTokens, double Seconds, double AcceptanceRate)
{
    /// <summary>All streams' generated tokens over the wall time from the first to the last token (prefill excluded).</summary>
    public double TokensPerSecond => Seconds > 0 ? GeneratedTokens / Seconds : 0;
}

public static class StreamsBench
{
    /// <summary>
    /// For each count in <paramref name="streams"/>: that many greedy requests (distinct 16-token prompts, genTokens each)
    /// submitted at once to one batcher with max batch = count; times from the moment every stream has its first token
    /// to the last token, so prefill is excluded.
    /// </summary>
    public static List<StreamsResult> Run(Transformer model, IReadOnlyList<int> streams, int genTokens, bool? speculative, Action<string>? log = null)
    {
        var results = new List<StreamsResult>();
        int V = model.Config.VocabSize;
        using (var warm = new Batcher(model, new BatcherOptions { MaxBatch = 2, Speculative = speculative }))
            foreach (var _ in warm.GenerateAsync(new[] { 2, 3, 4 }, SamplingOptions.Greedy with { MaxNewTokens = 4 }).ToBlockingEnumerable()) { } // JIT warm-up
        foreach (int n in streams)
        {
            if (n < 1) throw new DssException($"--streams: counts must be positive, got {n}");
            using var b = new Batcher(model, new BatcherOptions { MaxBatch = n, MaxQueue = n, ContextLength = Math.Min(model.Config.MaxPositionEmbeddings, 16 + genTokens + 2), Speculative = speculative });
            var o = SamplingOptions.Greedy with { MaxNewTokens = genTokens, StopTokenIds = Array.Empty<int>() };
            int firstTokens = 0;
            long firstAllAt = 0;
            var counts = new int[n];
            var sw = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, n).Select(i => Task.Run(async () =>
            {
                var rng = new Random(1000 + i);
                var prompt = Enumerable.Range(0, 16).Select(_ => rng.Next(2, V)).ToArray();
                await foreach (var _ in b.GenerateAsync(prompt, o))
                {
                    if (counts[i]++ == 0 && Interlocked.Increment(ref firstTokens) == n) Interlocked.Exchange(ref firstAllAt, sw.ElapsedTicks);
                }
            })).ToArray();
            Task.WaitAll(tasks);
            double seconds = (sw.ElapsedTicks - Interlocked.Read(ref firstAllAt)) / (double)Stopwatch.Frequency;
            var m = b.GetMetrics();
            // Tokens after each stream's first: the first ones came before the timed window opened.
            var r = new StreamsResult(n, genTokens, counts.Sum() - n, seconds, m.DraftedTokens > 0 ? (double)m.AcceptedDrafts / m.DraftedTokens : 0);
            log?.Invoke($"{n} stream(s): {r.GeneratedTokens} tokens in {r.Seconds:F2} s = {r.TokensPerSecond:F1} tok/s");
            results.Add(r);
        }
        return results;
    }
}
