using DeepSeekSharp.CostModel;

namespace DeepSeekSharp.Tests;

/// <summary>The paper's numbers (ISCA 2025 "Insights into DeepSeek-V3"), each from the shipped configs and constants.</summary>
public class CostModelTests
{
    private static ArchConfig V3 => ShippedConfigs.Load(ShippedConfigs.DeepSeekV3);

    private static void Near(double expected, double actual, double relTol) =>
        Assert.True(Math.Abs(actual / expected - 1) <= relTol, $"expected {expected} within {relTol:P1}, got {actual} ({actual / expected - 1:+0.00%;-0.00%})");

    [Theory]
    [InlineData(ShippedConfigs.DeepSeekV3, 70_272)]
    [InlineData(ShippedConfigs.Qwen25_72B, 327_680)]
    [InlineData(ShippedConfigs.Llama31_405B, 516_096)]
    public void Table1KvCacheBytesPerTokenAreExact(string model, double bytes)
    {
        var kv = KvCache.PerToken(ShippedConfigs.Load(model), StorageType.BF16);
        Assert.Equal(bytes, kv.BytesPerToken);
        Assert.Equal(PaperTables.KvCache[model].Kilobytes, kv.KilobytesPerToken, 9);
    }

    [Fact]
    public void Table1RatiosMatchThePaper()
    {
        double v3 = KvCache.PerToken(V3, StorageType.BF16).BytesPerToken;
        double qwen = KvCache.PerToken(ShippedConfigs.Load(ShippedConfigs.Qwen25_72B), StorageType.BF16).BytesPerToken / v3;
        double llama = KvCache.PerToken(ShippedConfigs.Load(ShippedConfigs.Llama31_405B), StorageType.BF16).BytesPerToken / v3;
        Assert.Equal(4.66, Math.Round(qwen, 2));
        Assert.Equal(7.34, Math.Round(llama, 2));
        Near(7.28, llama, 0.01); // the paper prints 7.28x, 0.9% under its own bytes
        Assert.Equal(AttentionKind.Mla, V3.Attention);
        Assert.Equal(35_136, KvCache.PerToken(V3, StorageType.FP8).BytesPerToken);
    }

    [Fact]
    public void DeepSeekV3Has671BTotalAnd37BActive()
    {
        var p = ParamCount.Of(V3);
        Near(671e9, p.Total, 0.005);
        Near(37e9, p.Active, 0.03);
        Near(36.6e9, p.Active, 0.002);      // DeepSeek's README: 36.6B incl. 0.9B head
        Near(11.5e9, p.Mtp, 0.02);          // README: MTP module 11.5B unique parameters
        Assert.Equal(58, V3.MoeLayerCount);
    }

    [Theory]
    [InlineData(ShippedConfigs.DeepSeekV2, 236e9, 21e9)]
    [InlineData(ShippedConfigs.DeepSeekV2Lite, 15.7e9, 2.4e9)]
    public void DeepSeekV2FamilyParameterCounts(string model, double total, double active)
    {
        var p = ParamCount.Of(ShippedConfigs.Load(model));
        Near(total, p.Total, 0.01);
        Near(active, p.Active, 0.03);
    }

    [Theory]
    [InlineData(ShippedConfigs.DeepSeekV2, 155)]
    [InlineData(ShippedConfigs.DeepSeekV3, 250)]
    [InlineData(ShippedConfigs.Qwen72B, 394)]
    [InlineData(ShippedConfigs.Llama31_405B, 2448)]
    public void Table2TrainingGflopPerTokenWithin3Percent(string model, double gflop)
    {
        var f = TrainingFlops.PerToken(ShippedConfigs.Load(model), 4096);
        Near(gflop, f.PaperConvention / 1e9, 0.03);
    }

    [Fact]
    public void Table2ExactFormulaMatchesTheMoeRowsClosely()
    {
        Near(250, TrainingFlops.PerToken(V3).Exact / 1e9, 0.005);
        Near(155, TrainingFlops.PerToken(ShippedConfigs.Load(ShippedConfigs.DeepSeekV2)).Exact / 1e9, 0.005);
        // Dense exact counts: LLaMA close, Qwen-72B well above the paper's scaling-law figure (documented residual).
        Near(2448, TrainingFlops.PerToken(ShippedConfigs.Load(ShippedConfigs.Llama31_405B)).Exact / 1e9, 0.015);
        Assert.InRange(TrainingFlops.PerToken(ShippedConfigs.Load(ShippedConfigs.Qwen72B)).Exact / 1e9, 430, 450);
        // Causal attention grows linearly with the sequence length.
        double a4 = TrainingFlops.PerToken(V3, 4096).AttentionFlops, a8 = TrainingFlops.PerToken(V3, 8192).AttentionFlops;
        Near(2, a8 / a4, 0.001);
    }

    [Fact]
    public void EpTpotReproducesThePaper()
    {
        var ib = EpTpot.Compute(EpTpotInputs.Paper(50));
        Assert.Equal(120.96, ib.CommPerLayerMicroseconds, 6);
        Assert.Equal(241.92, ib.LayerMicroseconds, 6);
        Assert.Equal(14.76, Math.Round(ib.TpotMilliseconds, 2));
        Assert.Equal(67, Math.Floor(ib.TokensPerSecond));
        var nvl = EpTpot.Compute(EpTpotInputs.Paper(900));
        Assert.Equal(0.82, Math.Round(nvl.TpotMilliseconds, 2));
        Near(1200, nvl.TokensPerSecond, 0.02);
        // FP8 combine: 2 bytes per element instead of 3.
        Near(14.76 * 2 / 3, EpTpot.Compute(EpTpotInputs.Paper(50) with { CombineBytes = 1 }).TpotMilliseconds, 0.001);
        Assert.Throws<DssException>(() => EpTpot.Compute(EpTpotInputs.Paper(0)));
    }

    [Theory]
    [InlineData("FT2", 2_048, 96, 2_048, 9, 4.39)]
    [InlineData("MPFT", 16_384, 768, 16_384, 72, 4.39)]
    [InlineData("FT3", 65_536, 5_120, 131_072, 491, 7.5)]
    [InlineData("SF", 32_928, 1_568, 32_928, 146, 4.4)]
    [InlineData("DF", 261_632, 16_352, 384_272, 1_522, 5.8)]
    public void Table3Networks(string topology, long endpoints, long switches, long links, double costM, double perEndpointK)
    {
        var n = NetworkTopology.All(NetworkInputs.Paper).Single(x => x.Topology == topology);
        Assert.Equal(endpoints, n.Endpoints);
        Assert.Equal(switches, n.Switches);
        Assert.Equal(links, n.Links);
        Near(costM, n.CostDollars / 1e6, 0.015);
        Near(perEndpointK, n.CostPerEndpointDollars / 1e3, 0.015);
    }

    [Fact]
    public void NetworkPricesAreOptions()
    {
        var doubled = NetworkTopology.FatTree2(NetworkInputs.Paper with { SwitchPrice = 2 * 81_500, LinkPrice = 2 * 525 });
        Near(2 * NetworkTopology.FatTree2(NetworkInputs.Paper).CostDollars, doubled.CostDollars, 1e-12);
        Assert.Equal(32 * 32 / 2, NetworkTopology.FatTree2(NetworkInputs.Paper with { Ports = 32 }).Endpoints);
        Assert.Throws<DssException>(() => NetworkTopology.Dragonfly(NetworkInputs.Paper with { DragonflyGroups = 10_000 }));
    }

    [Fact]
    public void MtpSpeedupIs1Point8AtThePapersAcceptance()
    {
        Assert.Equal(1.8, MtpSpeedup.Compute(0.8).Speedup, 12);
        Assert.Equal(1.85, MtpSpeedup.Compute(0.85).Speedup, 12);
        Assert.Equal(1 + 0.9 + 0.81, MtpSpeedup.Compute(0.9, depth: 2).TokensPerStep, 12);
        double c = MtpSpeedup.DraftCostFromConfig(V3);
        Near(1.6e9 / 36.6e9, c, 0.05);  // README: MTP activates 1.5B + eh_proj, over 36.6B
        Near(PaperTables.MtpSpeedup, MtpSpeedup.Compute(0.85, 1, c).Speedup, 0.02);
        Assert.Throws<DssException>(() => MtpSpeedup.Compute(1.5));
    }

    [Fact]
    public void DecodeRooflineIsBandwidthOverBytes()
    {
        var hw = HardwareProfiles.Get("ktransformers-server");
        var b = DecodeRoofline.Compute(V3, hw, StorageType.Q4, StorageType.BF16, 4096);
        double bytes = ParamCount.Of(V3).Active * 4.5 / 8 + 70_272.0 * 4096;
        Assert.Equal(bytes, b.BytesPerToken, 0);
        Assert.Equal(614.4e9 / bytes, b.MemoryBoundTokensPerSecond, 9);
        Assert.InRange(b.TokensPerSecond, 20, 35); // the paper measured "nearly 20 TPS" on such a server
        Assert.Equal("memory bandwidth", b.Limit);
        var fast = DecodeRoofline.Compute(V3, new HardwareProfile("x", "x", 1e9, 1), StorageType.BF16, StorageType.BF16, 0);
        Assert.Equal("compute", fast.Limit);
        Assert.Equal(1e12 / fast.FlopsPerToken, fast.TokensPerSecond, 9);
    }
}
