using System.Diagnostics;

namespace DeepSeekSharp.Peer;

/// <summary>
/// Load time, prefill and decode speed of one engine on one model, measured in this process; the weights' size on
/// disk and bits per weight (bytes * 8 / parameters) say how comparable two rows are.
/// </summary>
public sealed record EngineTimes(string Engine, string Weights, double LoadSeconds, double PrefillTokPerSec, double DecodeTokPerSec)
{
    public long WeightBytes { get; init; }
    public double BitsPerWeight { get; init; }
    /// <summary>tok/s of each prefill round (<see cref="PeerBenchmark.MeasureSideBySide"/>); PrefillTokPerSec is their median.</summary>
    public IReadOnlyList<double> PrefillRounds { get; init; } = [];
    /// <summary>tok/s of each decode chunk; DecodeTokPerSec is all chunks' tokens over all their seconds.</summary>
    public IReadOnlyList<double> DecodeChunks { get; init; } = [];
}

public static class PeerBenchmark
{
    /// <summary>A deterministic prompt of token ids in [2, vocab) (ids 0 and 1 are BOS/EOS in DeepSeek vocabularies).</summary>
    public static int[] Prompt(int length, int vocab, int seed = 1234)
    {
        var rnd = new Random(seed);
        var ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = rnd.Next(2, vocab);
        return ids;
    }

    /// <summary>
    /// Several engines side by side, so that a neighbour's load, which on a shared machine comes and goes within
    /// seconds, falls on all of them alike: each is loaded (timed, one after the other) and warmed up (JIT, page
    /// faults) on a short prompt; then <paramref name="rounds"/> prefill rounds of <paramref name="promptTokens"/> tokens,
    /// every engine once per round; then <paramref name="decodeTokens"/> greedy steps after the last prefill in
    /// chunks of <paramref name="chunk"/>, every engine one chunk in turn. The order of the engines rotates every round
    /// and chunk. All engines stay loaded together.
    /// </summary>
    public static IReadOnlyList<EngineTimes> MeasureSideBySide(IReadOnlyList<(string Weights, Func<IStepEngine> Load)> engines,
        int promptTokens, int decodeTokens, int rounds, int chunk, Action<string>? log = null)
    {
        if (rounds < 1) throw new DssException($"--peer-rounds must be at least 1, got {rounds}");
        if (chunk < 1) throw new DssException($"decode chunk must be at least 1 token, got {chunk}");
        int n = engines.Count;
        var loaded = new List<IStepEngine>();
        try
        {
            var loadS = new double[n];
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                sw.Restart();
                loaded.Add(engines[i].Load());
                loadS[i] = sw.Elapsed.TotalSeconds;
                log?.Invoke($"{loaded[i].Name} ({engines[i].Weights}): loaded in {loadS[i]:F2} s, warming up");
                var warm = Prompt(16, loaded[i].VocabSize, 7);
                var wl = loaded[i].Prefill(warm);
                for (int k = 0; k < 4; k++) wl = loaded[i].Step(GreedyComparison.ArgMax(wl));
            }

            var prefill = new List<double>[n];
            var logits = new float[n][];
            for (int i = 0; i < n; i++) prefill[i] = [];
            for (int r = 0; r < rounds; r++)
                for (int j = 0; j < n; j++)
                {
                    int i = (j + r) % n;
                    var prompt = Prompt(promptTokens, loaded[i].VocabSize);
                    sw.Restart();
                    logits[i] = loaded[i].Prefill(prompt);
                    prefill[i].Add(promptTokens / sw.Elapsed.TotalSeconds);
                }
            for (int i = 0; i < n; i++)
                log?.Invoke($"{loaded[i].Name} ({engines[i].Weights}): prefill {promptTokens} tokens, {rounds} round(s): {string.Join(" ", prefill[i].Select(v => $"{v:F1}"))} tok/s");

            var decode = new List<double>[n];
            var decodeS = new double[n];
            for (int i = 0; i < n; i++) decode[i] = [];
            int c = 0;
            for (int done = 0; done < decodeTokens; done += chunk, c++)
            {
                int steps = Math.Min(chunk, decodeTokens - done);
                for (int j = 0; j < n; j++)
                {
                    int i = (j + c) % n;
                    sw.Restart();
                    for (int k = 0; k < steps; k++) logits[i] = loaded[i].Step(GreedyComparison.ArgMax(logits[i]));
                    double sec = sw.Elapsed.TotalSeconds;
                    decodeS[i] += sec;
                    decode[i].Add(steps / sec);
                }
            }
            var times = new List<EngineTimes>();
            for (int i = 0; i < n; i++)
            {
                log?.Invoke($"{loaded[i].Name} ({engines[i].Weights}): decode {decodeTokens} tokens in {decodeS[i]:F2} s ({decode[i].Count} chunks)");
                times.Add(new EngineTimes(loaded[i].Name, engines[i].Weights, loadS[i], Benchmarking.ModelBench.Median(prefill[i]), decodeTokens / decodeS[i])
                {
                    PrefillRounds = prefill[i],
                    DecodeChunks = decode[i],
                });
            }
            return times;
        }
        finally
        {
            foreach (var e in loaded) e.Dispose();
        }
    }
}
