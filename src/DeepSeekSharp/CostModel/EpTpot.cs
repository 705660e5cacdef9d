namespace DeepSeekSharp.CostModel;

/// <summary>The constants of the paper's expert-parallel decode estimate (section 4); every one can be changed.</summary>
/// <param name="BandwidthGBps">per-device link bandwidth in GB/s (10^9 bytes/s).</param>
/// <param name="TokensPerDevice">tokens each device holds in one decode step.</param>
/// <param name="ExpertsPerToken">routed + shared experts each token is sent to (8 + 1).</param>
/// <param name="Hidden">hidden size (the paper rounds 7168 to "7K" = 7000).</param>
/// <param name="DispatchBytes">bytes per element sent to the experts (FP8: 1).</param>
/// <param name="CombineBytes">bytes per element sent back (BF16: 2).</param>
/// <param name="MicroBatches">micro-batches whose compute overlaps the other's communication (2).</param>
public sealed record EpTpotInputs(double BandwidthGBps, int TokensPerDevice = 32, int ExpertsPerToken = 9, int Hidden = 7000,
    int Layers = 61, double DispatchBytes = 1, double CombineBytes = 2, int MicroBatches = 2)
{
    public static EpTpotInputs Paper(double bandwidthGBps) => new(bandwidthGBps);
}

public sealed record EpTpotResult(EpTpotInputs Inputs, double BytesPerLayer, double CommPerLayerMicroseconds, double LayerMicroseconds)
{
    public double TpotMilliseconds => LayerMicroseconds * Inputs.Layers / 1000;
    public double TokensPerSecond => 1000 / TpotMilliseconds;
}

/// <summary>
/// Time per output token when the all-to-alls of expert parallelism bound decode:
///   comm per layer = (dispatch + combine bytes) x tokens per device x experts per token x hidden / bandwidth,
///   layer time     = micro-batches x comm (with compute hidden under the other micro-batch's communication),
///   TPOT           = layers x layer time.
/// Paper: (1 + 2) x 32 x 9 x 7000 / 50 GB/s = 120.96 us, x 2 = 241.92 us, x 61 = 14.76 ms (67 tok/s);
/// at 900 GB/s 0.82 ms (1,220 tok/s). Both are reproduced exactly (residual 0).
/// </summary>
public static class EpTpot
{
    public const double InfiniBandCx7GBps = 50;
    public const double Gb200Nvl72GBps = 900;

    public static EpTpotResult Compute(EpTpotInputs i)
    {
        if (i.BandwidthGBps <= 0) throw new DssException($"bandwidth must be positive, got {i.BandwidthGBps} GB/s");
        if (i.TokensPerDevice <= 0 || i.ExpertsPerToken <= 0 || i.Hidden <= 0 || i.Layers <= 0 || i.MicroBatches <= 0)
            throw new DssException("tokens per device, experts per token, hidden, layers and micro-batches must be positive");
        if (i.DispatchBytes <= 0 || i.CombineBytes <= 0) throw new DssException("dispatch and combine bytes must be positive");
        double bytes = (i.DispatchBytes + i.CombineBytes) * i.TokensPerDevice * i.ExpertsPerToken * (double)i.Hidden;
        double commUs = bytes / (i.BandwidthGBps * 1e9) * 1e6;
        return new EpTpotResult(i, bytes, commUs, commUs * i.MicroBatches);
    }
}
