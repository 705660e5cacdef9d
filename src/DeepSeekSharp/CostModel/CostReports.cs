namespace DeepSeekSharp.CostModel;

// What `dss cost --format json` writes: one report per sub-command, paper values alongside where the paper has one.

public sealed record KvRow(string Model, string Source, string Attention, string Formula, long ElementsPerToken, double BytesPerToken,
    double Kilobytes, double Ratio, double? PaperKilobytes, double? PaperRatio);
public sealed record KvReport(string CacheType, IReadOnlyList<KvRow> Rows);

public sealed record ParamsRow(string Model, string Source, long Total, long Active, long Embedding, long Head, int MoeLayers, long Mtp,
    double? PaperTotalBillions, double? PaperActiveBillions);
public sealed record ParamsReport(IReadOnlyList<ParamsRow> Rows);

public sealed record FlopsRow(string Model, string Source, string Kind, double ExactGflop, double AttentionGflop, double PaperConventionGflop,
    double? PaperGflop, double? Residual);
public sealed record FlopsReport(int SequenceLength, IReadOnlyList<FlopsRow> Rows);

public sealed record EpTpotRow(double BandwidthGBps, int TokensPerDevice, int ExpertsPerToken, int Hidden, int Layers, double DispatchBytes,
    double CombineBytes, int MicroBatches, double CommPerLayerMicroseconds, double LayerMicroseconds, double TpotMilliseconds,
    double TokensPerSecond, double? PaperTpotMilliseconds);
public sealed record EpTpotReport(IReadOnlyList<EpTpotRow> Rows);

public sealed record NetworkRow(string Topology, string Description, long Endpoints, long Switches, long Links, double CostMillions,
    double CostPerEndpointThousands, double? PaperCostMillions, double? PaperCostPerEndpointThousands);
public sealed record NetworkReport(int Ports, int Planes, double SwitchPrice, double LinkPrice, IReadOnlyList<NetworkRow> Rows);

public sealed record DecodeRow(string Model, string Hardware, double BandwidthGBps, double? ComputeTflops, string Weights, string Cache,
    int Context, double WeightGigabytes, double CacheGigabytes, double GflopPerToken, double MemoryBoundTokensPerSecond,
    double? ComputeBoundTokensPerSecond, double TokensPerSecond, string Limit);
public sealed record DecodeReport(IReadOnlyList<DecodeRow> Rows, BandwidthMeasurementReport? Measured);
public sealed record BandwidthMeasurementReport(long BufferBytes, int Passes, int Threads, double BestGBps, double MeanGBps);

public sealed record MtpRow(double Acceptance, int Depth, double DraftCost, double TokensPerStep, double Speedup);
public sealed record MtpReport(string DraftCostSource, IReadOnlyList<MtpRow> Rows, double PaperSpeedup);
