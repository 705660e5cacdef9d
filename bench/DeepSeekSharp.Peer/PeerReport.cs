using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekSharp.Peer;

/// <summary>Greedy agreement of the two engines on an exact (F32) export: token for token over the first steps.</summary>
public sealed record PeerAgreement(string GgufType, int Prompts, int Steps, int AgreedTokens, int TotalTokens, double MaxLogitDiff, int[] FirstDifference)
{
    public bool Agree => AgreedTokens == TotalTokens;
}

/// <summary>
/// ours/theirs for one llama.cpp row: above 1 is faster for prefill and decode (medians of the ratios of rounds run
/// side by side), slower for load.
/// </summary>
public sealed record PeerRatio(string Versus, double Load, double Prefill, double Decode);

/// <summary>Everything `dss bench --peer llama.cpp` measured, for the table and for --json.</summary>
public sealed record PeerReport
{
    public required string Model { get; init; }
    public required string Peer { get; init; }
    public required string PeerLibrary { get; init; }
    public required int Threads { get; init; }
    public required int PromptTokens { get; init; }
    public required int GenTokens { get; init; }
    public required long Parameters { get; init; }
    public PeerAgreement? Agreement { get; init; }
    public required EngineTimes Ours { get; init; }
    public required IReadOnlyList<EngineTimes> Theirs { get; init; }
    public required IReadOnlyList<PeerRatio> Ratios { get; init; }
    /// <summary>/proc/loadavg's 1-minute figure before and after the timed runs (null off Linux): other work on the machine.</summary>
    public double? LoadAverageBefore { get; init; }
    public double? LoadAverageAfter { get; init; }
    public int LogicalCores { get; init; } = Environment.ProcessorCount;

    public string ToJson() => JsonSerializer.Serialize(this, PeerReportJson.Default.PeerReport);

    public static PeerReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, PeerReportJson.Default.PeerReport) ?? throw new DssException("peer report: empty JSON");

    /// <summary>
    /// Prefill and decode: the median over rounds (chunks) of ours/theirs in the same round (chunk), the two measured
    /// seconds apart; load: one load each.
    /// </summary>
    public static IReadOnlyList<PeerRatio> RatiosOf(EngineTimes ours, IEnumerable<EngineTimes> theirs) =>
        theirs.Select(t => new PeerRatio(t.Weights, ours.LoadSeconds / t.LoadSeconds,
            Benchmarking.ModelBench.Median(ours.PrefillRounds.Zip(t.PrefillRounds, (a, b) => a / b)),
            Benchmarking.ModelBench.Median(ours.DecodeChunks.Zip(t.DecodeChunks, (a, b) => a / b)))).ToList();

    /// <summary>The 1-minute load average, or null where /proc/loadavg is not there.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PeerReport))]
internal sealed partial class PeerReportJson : JsonSerializerContext;
