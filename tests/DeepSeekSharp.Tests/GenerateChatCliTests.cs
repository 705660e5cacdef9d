using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Tests;

[Collection("Console")]
public class GenerateChatCliTests
{
    [Theory]
    [InlineData("v3-tiny", "p1")]
    [InlineData("v2-lite-tiny", "p0")]
    public void GenerateWithIdsPrintsTheFixtureGreedyIds(string model, string p)
    {
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        var ids = string.Join(",", r.ReadI32($"{p}.input_ids"));
        var (rc, stdout, err) = CliHarness.Run("generate", "--model", Fixtures.Dir(model), "--ids", ids, "--max-tokens", "12", "--print-ids");
        Assert.True(rc == 0, err);
        Assert.Equal(string.Join(",", r.ReadI32($"{p}.greedy_ids")), stdout.Trim());
        Assert.Contains("prompt", err);
        Assert.Contains("decode", err);
    }

    [Fact]
    public void SpeculativeBothChecksGreedyEquality()
    {
        var (rc, _, err) = CliHarness.Run("generate", "--model", Fixtures.Dir("v3-tiny"), "--ids", "1,2,3,4,5", "-n", "30", "--print-ids", "--speculative", "both");
        Assert.True(rc == 0, err);
        Assert.Contains("MTP speculation", err);
        Assert.Contains("without speculation", err);
    }

    [Fact]
    public async Task GenerateStreamsTheTextOfTheGreedyTokens()
    {
        string dir = TestModels.TinyChat;
        var (rc, stdout, err) = CliHarness.Run("generate", "--model", dir, "--prompt", "The jury said", "--max-tokens", "10");
        Assert.True(rc == 0, err);
        using var m = Transformer.Load(dir);
        var tok = HfTokenizer.Load(dir);
        var ids = new List<int>();
        await foreach (var t in new Generator(m).GenerateAsync(tok.Encode("The jury said", addSpecialTokens: true), SamplingOptions.Greedy with { MaxNewTokens = 10 })) ids.Add(t);
        Assert.Equal(tok.Decode(ids, skipSpecialTokens: true), stdout.TrimEnd('\n'));
    }

    [Fact]
    public void ChatAnswersResetsAndExitsThroughStdin()
    {
        string dir = TestModels.TinyChat;
        var (rc, stdout, err) = CliHarness.RunWithInput("Hello there\n/reset\nHow are you?\n/exit\nnever read\n",
            "chat", "--model", dir, "--max-tokens", "6");
        Assert.True(rc == 0, err);
        Assert.Contains("(history cleared)", err);
        // Three prompts shown ("> "), two replies, then /exit.
        Assert.Equal(4, stdout.Split("> ").Length - 1);
        Assert.DoesNotContain("never read", stdout);
    }

    [Fact]
    public void GenerateFailsClearly()
    {
        var (rc, _, err) = CliHarness.Run("generate", "--model", Fixtures.Dir("v3-tiny"), "--prompt", "hi");
        Assert.Equal(1, rc);
        Assert.Contains("no tokenizer.json", err);
        (rc, _, err) = CliHarness.Run("generate", "--model", Fixtures.Dir("v3-tiny"), "--ids", "1,2", "--temperature", "-1");
        Assert.Equal(1, rc);
        Assert.Contains("temperature", err);
        (rc, _, err) = CliHarness.Run("generate", "--model", Fixtures.Dir("v3-tiny"), "--ids", "1,2", "--ctx", "100000");
        Assert.Equal(1, rc);
        Assert.Contains("max_position_embeddings", err);
    }
}
