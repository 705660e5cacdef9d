using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekSharp.Benchmarking;

/// <summary>
/// Every figure of one `dss bench` run. Fractions are 0-1: prefill GFLOP/s over the measured FMA peak, decode
/// effective GB/s over the measured read bandwidth (the roofline), both measured in the same run.
/// </summary>
public sealed record BenchReport
{
    public required string Model { get; init; }
    public required string WeightDtypes { get; init; }
    public required int Threads { get; init; }
    public required int PromptTokens { get; init; }
    public required int GenTokens { get; init; }

    /// <summary>The roofline's bandwidth: the higher of the probes right before the prefill and right after the decode.</summary>
    public required double MemBandwidthGbs { get; init; }
    public double MemBandwidthBeforeGbs { get; init; }
    public double MemBandwidthAfterGbs { get; init; }
    /// <summary>Where the weights were held while measured: "memory" (2 MiB pages) or "mmap".</summary>
    public string WeightResidence { get; init; } = "";
    public required double FmaPeakGflops { get; init; }

    public required double PrefillSeconds { get; init; }
    public required double PrefillTokS { get; init; }
    public required double PrefillGflop { get; init; }
    public required double PrefillGflops { get; init; }
    public required double PrefillPeakFraction { get; init; }

    public required double DecodeSeconds { get; init; }
    public required double DecodeTokS { get; init; }
    public required double DecodeWeightBytesPerToken { get; init; }
    public required double DecodeCacheBytesPerToken { get; init; }
    public required double DecodeBytesPerToken { get; init; }
    public required double DecodeGbs { get; init; }
    public required double DecodeRooflineTokS { get; init; }
    /// <summary>
    /// The median over the decode's rounds of each round's GB/s over the higher of the bandwidth probes on either side
    /// of it (<see cref="DecodeRounds"/>).
    /// </summary>
    public required double DecodeRooflineFraction { get; init; }
    /// <summary>The whole decode's GB/s over <see cref="MemBandwidthGbs"/> (probes before the prefill and after the decode).</summary>
    public double DecodeRooflineFractionWhole { get; init; }
    /// <summary>The decode's rounds, each between two bandwidth probes.</summary>
    public IReadOnlyList<DecodeRound> DecodeRounds { get; init; } = [];
    public required double DecodeAllocBytesPerToken { get; init; }
    /// <summary>Garbage collections (any generation) that ran during the decode steps (the probes between rounds excluded): a pause inside a round slows it.</summary>
    public int DecodeGcCollections { get; init; }

    // The same by CPU time (CPU seconds / threads) for a machine shared with other processes: the limits measured
    // that way too, and the share of the cores each phase got (1 = dedicated cores). Spinning waits count as CPU.
    public double MemBandwidthCpuGbs { get; init; }
    public double FmaPeakCpuGflops { get; init; }
    public double PrefillCpuShare { get; init; }
    public double PrefillPeakFractionCpu { get; init; }
    public double DecodeCpuShare { get; init; }
    public double DecodeRooflineFractionCpu { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, BenchReportJson.Default.BenchReport);

    public static BenchReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, BenchReportJson.Default.BenchReport) ?? throw new DssException("bench report: empty JSON");
}

/// <summary>Decoded tokens between two bandwidth probes: their GB/s against the higher of the two probes.</summary>
public sealed record DecodeRound
{
    public int Tokens { get; init; }
    public double Seconds { get; init; }
    public double Gbs { get; init; }
    public double ProbeGbs { get; init; }
    public double RooflineFraction { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchReportJson : JsonSerializerContext
{
}
