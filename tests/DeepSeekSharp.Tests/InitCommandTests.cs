using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

[Collection("Console")]
public class InitCommandTests
{
    [Theory]
    [InlineData("bf16", false)]
    [InlineData("fp8", false)]
    [InlineData("bf16", true)]
    [InlineData("fp8", true)]
    public void InitWritesACheckpointThatLoadsAndRuns(string dtype, bool v3)
    {
        using var tmp = new Fixtures.TempDir();
        string cfg = InitTinyConfigs.WriteConfig(tmp, v3 ? InitTinyConfigs.V3() : InitTinyConfigs.Moonlight());
        string dir = tmp.File("model");
        var args = new List<string> { "init", "--config", cfg, "--output", dir, "--dtype", dtype, "--seed", "5" };
        if (v3) args.Add("--mtp");
        var (rc, stdout, err) = CliHarness.Run(args.ToArray());
        Assert.True(rc == 0, err);
        Assert.Contains("wrote 1 shard(s)", stdout);

        using var m = Transformer.Load(dir);
        Assert.Empty(ModelSummary.Of(m).UnusedTensors);
        Assert.Equal(v3 ? 1 : 0, m.Mtp.Length);
        Assert.Equal(dtype == "fp8", m.Config.QuantizationConfig is not null);
        var ck = m.Weights.Checkpoint;
        var proj = ck.Info(HfNames.Wo(1));
        Assert.Equal(dtype == "fp8" ? DType.F8_E4M3 : DType.BF16, proj.DType);
        Assert.Equal(dtype == "fp8", ck.Contains(HfNames.Wo(1) + HfNames.ScaleSuffix));
        Assert.Equal(DType.BF16, ck.Info(HfNames.Embed).DType);
        Assert.Equal(DType.BF16, ck.Info(HfNames.GateWeight(1)).DType);
        Assert.Equal(DType.F32, ck.Info(HfNames.GateBias(1)).DType);

        // Sane activations: finite logits that differ between tokens, prefill and decode through both attention forms.
        var cache = m.NewCache(16);
        var logits = m.Forward([1, 7, 42, 299, 3], 0, cache, lastOnly: true);
        var step = m.Forward([11], 5, cache, lastOnly: true);
        foreach (var v in logits.Concat(step)) Assert.True(float.IsFinite(v));
        double mean = logits.Average(), var = logits.Average(v => (v - mean) * (v - mean));
        Assert.InRange(Math.Sqrt(var), 1e-3, 100);
        Assert.NotEqual(logits, step);
    }

    [Fact]
    public void InitIsDeterministicForASeed()
    {
        using var tmp = new Fixtures.TempDir();
        string cfg = InitTinyConfigs.WriteConfig(tmp, InitTinyConfigs.Moonlight());
        byte[] Write(string name, string seed)
        {
            var (rc, _, err) = CliHarness.Run("init", "--config", cfg, "--output", tmp.File(name), "--dtype", "fp8", "--seed", seed);
            Assert.True(rc == 0, err);
            return File.ReadAllBytes(Path.Combine(tmp.File(name), "model.safetensors"));
        }
        var a = Write("a", "9");
        var b = Write("b", "9");
        var c = Write("c", "10");
        Assert.Equal(a, b);
        Assert.Equal(a.Length, c.Length);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void InitShardsLargeModelsWithAnIndex()
    {
        using var tmp = new Fixtures.TempDir();
        string cfg = InitTinyConfigs.WriteConfig(tmp, InitTinyConfigs.V3());
        string dir = tmp.File("sharded");
        var (rc, stdout, err) = CliHarness.Run("init", "--config", cfg, "--output", dir, "--dtype", "fp8", "--layers", "2", "--shard-size", "0.0001");
        Assert.True(rc == 0, err);
        Assert.True(File.Exists(Path.Combine(dir, ShardedCheckpointWriter.IndexFileName)));
        Assert.Contains("shard(s)", stdout);
        using var m = Transformer.Load(dir);
        Assert.Equal(2, m.Layers.Length);
        Assert.Empty(m.Mtp); // --layers drops MTP unless --mtp
        Assert.Equal(0, m.Config.NumNextnPredictLayers);
        Assert.Equal(64, m.Config.HiddenSize); // width kept
    }

    [Fact]
    public void InitRefusesUnknownConfigsAndExistingFolders()
    {
        using var tmp = new Fixtures.TempDir();
        var (rc, _, err) = CliHarness.Run("init", "--config", "no-such-preset", "--output", tmp.File("x"));
        Assert.Equal(1, rc);
        Assert.Contains("neither a preset", err);
        string cfg = InitTinyConfigs.WriteConfig(tmp, InitTinyConfigs.Moonlight());
        Assert.Equal(0, CliHarness.Run("init", "--config", cfg, "--output", tmp.File("m"), "--dtype", "bf16").Exit);
        (rc, _, err) = CliHarness.Run("init", "--config", cfg, "--output", tmp.File("m"), "--dtype", "bf16");
        Assert.Equal(1, rc);
        Assert.Contains("already exists", err);
        (rc, _, err) = CliHarness.Run("init", "--config", cfg, "--output", tmp.File("n"), "--layers", "0");
        Assert.Equal(1, rc);
        Assert.Contains("--layers", err);
    }
}
