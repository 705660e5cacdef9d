using DeepSeekSharp.Benchmarking;

namespace DeepSeekSharp.Tests;

[Collection("Console")]
public class BenchCommandTests
{
    [Theory]
    [InlineData("fp8")]
    [InlineData("bf16")]
    public void BenchReportsEveryFigureInRange(string dtype)
    {
        using var tmp = new Fixtures.TempDir();
        string cfg = InitTinyConfigs.WriteConfig(tmp, InitTinyConfigs.Moonlight());
        string dir = tmp.File("model");
        Assert.Equal(0, CliHarness.Run("init", "--config", cfg, "--output", dir, "--dtype", dtype).Exit);
        string json = tmp.File("bench.json");
        var (rc, stdout, err) = CliHarness.Run("bench", "--model", dir, "--prompt-tokens", "24", "--gen-tokens", "6", "--probe-mb", "64", "--round-tokens", "4", "--json", json);
        Assert.True(rc == 0, err);
        Assert.Contains("decode effective", stdout);

        string text = File.ReadAllText(json);
        Assert.Contains("\"decode_roofline_fraction\"", text);
        Assert.Contains("\"prefill_peak_fraction\"", text);
        Assert.Contains("\"decode_gc_collections\"", text);
        Assert.Contains("garbage collections during the decode", stdout);
        var r = BenchReport.FromJson(text);
        Assert.Equal(24, r.PromptTokens);
        Assert.Equal(6, r.GenTokens);
        Assert.InRange(r.MemBandwidthGbs, 0.5, 10_000);
        Assert.InRange(r.FmaPeakGflops, 1, 100_000);
        Assert.Equal(Math.Max(r.MemBandwidthBeforeGbs, r.MemBandwidthAfterGbs), r.MemBandwidthGbs);
        Assert.InRange(r.MemBandwidthBeforeGbs, 0.5, 10_000);
        Assert.InRange(r.MemBandwidthAfterGbs, 0.5, 10_000);
        Assert.Equal(OperatingSystem.IsLinux() ? "memory" : "mmap", r.WeightResidence); // a tiny model fits: auto holds it in memory
        Assert.InRange(r.PrefillPeakFraction, 1e-6, 1);
        Assert.InRange(r.DecodeRooflineFraction, 1e-6, 1.5); // a round can beat a probe taken while a neighbour was busy
        Assert.InRange(r.DecodeRooflineFractionWhole, 1e-6, 1);
        Assert.Equal(r.DecodeGbs / r.MemBandwidthGbs, r.DecodeRooflineFractionWhole, 6);
        // --gen-tokens 6 in rounds of 4: rounds of 4 and 2 tokens, the median of two is their mean.
        Assert.Equal([4, 2], r.DecodeRounds.Select(x => x.Tokens));
        Assert.Equal(r.DecodeSeconds, r.DecodeRounds.Sum(x => x.Seconds), 6);
        foreach (var round in r.DecodeRounds)
        {
            Assert.InRange(round.ProbeGbs, 0.5, 10_000);
            Assert.Equal(round.Gbs / round.ProbeGbs, round.RooflineFraction, 6);
        }
        Assert.Equal(r.DecodeRounds.Average(x => x.RooflineFraction), r.DecodeRooflineFraction, 6);
        Assert.InRange(r.PrefillTokS, 1, 1e7);
        Assert.InRange(r.DecodeGcCollections, 0, 1000);
        // Process CPU time over wall x threads: other threads (JIT, GC) and the clock's tick over a decode of a few
        // milliseconds can lift it past 1, but never past what all cores could give, with the tick's slack.
        double most = 2.0 * Environment.ProcessorCount / r.Threads;
        Assert.InRange(r.DecodeCpuShare, 0, most);
        Assert.InRange(r.PrefillCpuShare, 0, most);
        Assert.InRange(r.DecodeTokS, 1, 1e7);
        Assert.Equal(r.DecodeWeightBytesPerToken + r.DecodeCacheBytesPerToken, r.DecodeBytesPerToken, 6);
        Assert.Equal(r.DecodeBytesPerToken * r.DecodeTokS / 1e9, r.DecodeGbs, 6);
        Assert.Equal(r.PrefillGflops / r.FmaPeakGflops, r.PrefillPeakFraction, 6);
        // Cache read per token: (32 + 8) x 2 bytes x 3 layers x positions 25..30, on average 27.5.
        Assert.Equal(40 * 2 * 3 * 27.5, r.DecodeCacheBytesPerToken, 6);
    }

    [Fact]
    public void BenchCountsActivatedWeightsInTheirStoredDtype()
    {
        using var tmp = new Fixtures.TempDir();
        string cfg = InitTinyConfigs.WriteConfig(tmp, InitTinyConfigs.Moonlight());
        Assert.Equal(0, CliHarness.Run("init", "--config", cfg, "--output", tmp.File("m"), "--dtype", "bf16").Exit);
        using var m = DeepSeekSharp.Modeling.Transformer.Load(tmp.File("m"));
        var cost = new ModelCost(m);
        // Tiny moonlight: D 64, V 300, 3 layers (1 dense), 4 heads, q_proj; 8 experts of 32, top-2, 2 shared. BF16: 2 bytes each.
        long attn = 4 * 24 * 64 + 40 * 64 + 4 * 32 * 32 + 64 * 64; // q_proj, kv_a, kv_b, o_proj
        long norms = 64 + 32 + 64;
        long dense = 3 * 64 * 96, moe = 8 * 64 + 3 * 64 * 32 * (2 + 2);
        long expected = 2 * (64 + 3 * (attn + norms) + dense + 2 * moe + 64 + 300 * 64) + 2 * 8 * 4; // + F32 e_score_correction_bias
        Assert.Equal(expected, cost.DecodeWeightBytes);
        Assert.Equal(3 * attn + dense + 2 * moe, cost.LayerMacsPerToken);
    }

    [Fact]
    public void BenchRefusesBadArguments()
    {
        var (rc, _, err) = CliHarness.Run("bench", "--model", "/nonexistent-model-dir", "--probe-mb", "1");
        Assert.Equal(1, rc);
        Assert.Contains("config.json", err);
        Assert.Throws<DssException>(() => ModelBench.Run("/nonexistent", new BenchOptions(PromptTokens: 0)));
        var (rc2, _, err2) = CliHarness.Run("bench", "--model", "/nonexistent-model-dir", "--streams", "1,2", "--round-tokens", "4");
        Assert.Equal(1, rc2);
        Assert.Contains("--round-tokens applies to the plain bench", err2);
        var ex = Assert.Throws<DssException>(() => ModelBench.Run("/nonexistent", new BenchOptions(RoundTokens: 0)));
        Assert.Contains("--round-tokens", ex.Message);
        Assert.Equal(2.5, ModelBench.Median([4, 1, 2, 3]));
        Assert.Equal(3, ModelBench.Median([5, 1, 3]));
    }
}
