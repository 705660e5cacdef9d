using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Tests;

[Collection("Console")]
public class LogitsInspectCliTests
{
    [Theory]
    [InlineData("v3-tiny", "p0.logits")]
    [InlineData("v2-lite-tiny", "p0.logits")]
    [InlineData("v3-fp8-tiny", "p0.logits_dequant_fp32")]
    public void LogitsWritesTheReferenceLogits(string model, string refName)
    {
        using var tmp = new Fixtures.TempDir();
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        var ids = r.ReadI32("p0.input_ids");
        string output = tmp.File("out.safetensors");
        var (rc, stdout, err) = CliHarness.Run("logits", "--model", Fixtures.Dir(model), "--ids", string.Join(",", ids), "--output", output);
        Assert.True(rc == 0, err);
        Assert.Contains("top-5 next tokens", stdout);
        using var f = SafetensorsFile.Open(output);
        Assert.Equal(new long[] { ids.Length, r.Info(refName).Shape[1] }, f.Info("logits").Shape);
        ForwardFixtureTests.AssertClose(r.ReadF32(refName), f.ReadF32("logits"), $"dss logits {model}");
    }

    [Theory]
    [InlineData("v3-tiny", "KV cache bytes per token  240")]
    [InlineData("v2-lite-tiny", "q_lora_rank none (q_proj)")]
    [InlineData("v3-fp8-tiny", "F8_E4M3 1,597,440")]
    public void InspectDescribesEveryFixture(string model, string expected)
    {
        var (rc, stdout, err) = CliHarness.Run("inspect", "--model", Fixtures.Dir(model));
        Assert.True(rc == 0, err);
        Assert.Contains(expected, stdout);
        Assert.Contains("every tensor is used", stdout);
    }

    [Fact]
    public void BadInputsFailWithAClearMessage()
    {
        using var tmp = new Fixtures.TempDir();
        var (rc, _, err) = CliHarness.Run("logits", "--model", tmp.File("missing"), "--ids", "1,2");
        Assert.Equal(1, rc);
        Assert.Contains("not found", err);

        (rc, _, err) = CliHarness.Run("logits", "--model", Fixtures.Dir("v3-tiny"), "--ids", "1,99999", "--output", tmp.File("x.safetensors"));
        Assert.Equal(1, rc);
        Assert.Contains("outside the vocabulary", err);

        // A corrupt model file: config is fine, weights truncated.
        string bad = Path.Combine(tmp.Path, "bad");
        Directory.CreateDirectory(bad);
        File.Copy(Path.Combine(Fixtures.Dir("v3-tiny"), "config.json"), Path.Combine(bad, "config.json"));
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures.Dir("v3-tiny"), "model.safetensors"));
        File.WriteAllBytes(Path.Combine(bad, "model.safetensors"), bytes.AsSpan(0, bytes.Length / 2).ToArray());
        (rc, _, err) = CliHarness.Run("inspect", "--model", bad);
        Assert.Equal(1, rc);
        Assert.Contains("truncated", err);

        // A config it cannot run.
        File.WriteAllText(Path.Combine(bad, "config.json"), """{"model_type":"llama"}""");
        (rc, _, err) = CliHarness.Run("inspect", "--model", bad);
        Assert.Equal(1, rc);
        Assert.Contains("model_type 'llama' is not supported", err);
    }
}
