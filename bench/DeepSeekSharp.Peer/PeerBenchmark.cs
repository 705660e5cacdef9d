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
    /// Loads the engine (timed), warms it up (JIT, page faults) on a short prompt, then times one prefill of
    /// <paramref name="promptTokens"/> tokens and <paramref name="decodeTokens"/> greedy decode steps after it.
    /// </summary>
    public static EngineTimes Measure(string weights, Func<IStepEngine> load, int promptTokens, int decodeTokens, Action<string>? log = null)
    {
        var sw = Stopwatch.StartNew();
        using var e = load();
        double loadS = sw.Elapsed.TotalSeconds;
        log?.Invoke($"{e.Name} ({weights}): loaded in {loadS:F2} s, warming up");

        var warm = Prompt(16, e.VocabSize, 7);
        var l = e.Prefill(warm);
        for (int i = 0; i < 4; i++) l = e.Step(GreedyComparison.ArgMax(l));

        var prompt = Prompt(promptTokens, e.VocabSize);
        sw.Restart();
        var logits = e.Prefill(prompt);
        double prefillS = sw.Elapsed.TotalSeconds;
        log?.Invoke($"{e.Name} ({weights}): prefill {promptTokens} tokens in {prefillS:F2} s");

        sw.Restart();
        for (int i = 0; i < decodeTokens; i++) logits = e.Step(GreedyComparison.ArgMax(logits));
        double decodeS = sw.Elapsed.TotalSeconds;
        log?.Invoke($"{e.Name} ({weights}): decode {decodeTokens} tokens in {decodeS:F2} s");
        return new EngineTimes(e.Name, weights, loadS, promptTokens / prefillS, decodeTokens / decodeS);
    }
}
