namespace DeepSeekSharp.CostModel;

/// <summary>
/// The numbers printed in "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI
/// Architectures" (ISCA 2025), which `dss cost` reproduces and compares against.
/// </summary>
public static class PaperTables
{
    /// <summary>Table 1: KV cache per token at BF16, KB of 1000 bytes, and the ratio to DeepSeek-V3 as printed.</summary>
    public static readonly IReadOnlyDictionary<string, (double Kilobytes, double Ratio)> KvCache = new Dictionary<string, (double, double)>
    {
        [ShippedConfigs.DeepSeekV3] = (70.272, 1.00),
        [ShippedConfigs.Qwen25_72B] = (327.680, 4.66),
        [ShippedConfigs.Llama31_405B] = (516.096, 7.28),
    };

    /// <summary>Table 2: training GFLOP per token at sequence length 4096.</summary>
    public static readonly IReadOnlyDictionary<string, double> TrainingGflops = new Dictionary<string, double>
    {
        [ShippedConfigs.DeepSeekV2] = 155,
        [ShippedConfigs.DeepSeekV3] = 250,
        [ShippedConfigs.Qwen72B] = 394,
        [ShippedConfigs.Llama31_405B] = 2448,
    };

    /// <summary>Total and activated parameters in billions, as DeepSeek and the others publish them.</summary>
    public static readonly IReadOnlyDictionary<string, (double Total, double? Active)> ParamsBillions = new Dictionary<string, (double, double?)>
    {
        [ShippedConfigs.DeepSeekV3] = (671, 37),
        [ShippedConfigs.DeepSeekV2] = (236, 21),
        [ShippedConfigs.DeepSeekV2Lite] = (15.7, 2.4),
        [ShippedConfigs.Moonlight] = (16, 3),
        [ShippedConfigs.Qwen25_72B] = (72.7, null),
        [ShippedConfigs.Qwen72B] = (72, null),
        [ShippedConfigs.Llama31_405B] = (405, null),
    };

    /// <summary>Section 4 EP decode: TPOT in ms at 50 GB/s (CX7 InfiniBand) and 900 GB/s (GB200 NVL72).</summary>
    public static readonly IReadOnlyDictionary<double, (double TpotMs, double TokensPerSecond)> EpDecode = new Dictionary<double, (double, double)>
    {
        [CostModel.EpTpot.InfiniBandCx7GBps] = (14.76, 67),
        [CostModel.EpTpot.Gb200Nvl72GBps] = (0.82, 1200),
    };

    /// <summary>Table 3: endpoints, switches, links, cost (M$) and cost per endpoint (k$), 64-port switches.</summary>
    public static readonly IReadOnlyDictionary<string, (long Endpoints, long Switches, long Links, double CostMillions, double PerEndpointThousands)> Network =
        new Dictionary<string, (long, long, long, double, double)>
        {
            ["FT2"] = (2_048, 96, 2_048, 9, 4.39),
            ["MPFT"] = (16_384, 768, 16_384, 72, 4.39),
            ["FT3"] = (65_536, 5_120, 131_072, 491, 7.5),
            ["SF"] = (32_928, 1_568, 32_928, 146, 4.4),
            ["DF"] = (261_632, 16_352, 384_272, 1_522, 5.8),
        };

    /// <summary>Section 4: MTP accepts the second token 80-90% of the time and speeds decode up 1.8x.</summary>
    public const double MtpSpeedup = 1.8;
}
