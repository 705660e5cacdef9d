using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Tests;

/// <summary>The embedded default model (models/default): present, loadable, used when --model is omitted.</summary>
[Collection("Console")]
public class DefaultModelTests
{
    private static string Dir => Path.Combine(Fixtures.RepoRoot, "models", "default");

    [Fact]
    public void ShipsAsADeepSeekV3ArchitectureCheckpointUnder25MB()
    {
        Assert.True(File.Exists(Path.Combine(Dir, "config.json")), "models/default/config.json is missing");
        long bytes = Directory.GetFiles(Dir).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes <= 25L * 1024 * 1024, $"models/default holds {bytes} bytes, over 25 MB");
        using var m = Transformer.Load(Dir);
        var c = m.Config;
        Assert.Equal("deepseek_v3", c.ModelType);
        Assert.NotNull(c.QLoraRank);
        Assert.Equal(TopkMethod.NoauxTc, c.TopkMethod);
        Assert.True(c.NGroup > 1 && c.NSharedExperts > 0 && c.FirstKDenseReplace == 1);
        Assert.NotNull(c.RopeScaling);
        Assert.Single(m.Mtp);
    }

    [Fact]
    public void TokenizerRoundTripsTheWholeCorpusAndKeepsItsIds()
    {
        var tok = HfTokenizer.Load(Dir);
        Assert.Equal(new[] { 506, 505, 1156, 560, 346, 657, 1115, 332, 265, 1657, 372, 2550, 930, 319, 420, 3743, 386, 610, 17, 436, 2949, 280, 265, 1280, 481, 18 },
            tok.Encode("The jury said it did find that the city's Executive Committee had over-all charge of the election."));
        Assert.Equal(new[] { 1096, 225, 1362, 21, 16, 225, 3772, 16, 24, 25, 26, 417, 320, 391, 225, 163, 227, 246, 598, 225, 2041, 9, 225, 163, 227, 246, 423, 571, 309, 82, 83, 6, 18 },
            tok.Encode("In 1961, 23,456 voters – about 12% – chose \"no\"."));
        foreach (var file in Directory.GetFiles(Path.Combine(Fixtures.Shared, "corpora", "brown"), "*.txt"))
        {
            string text = File.ReadAllText(file);
            Assert.True(text == tok.Decode(tok.Encode(text)), $"{Path.GetFileName(file)} does not round-trip");
        }
    }

    [Fact]
    public void GenerateAndInspectUseItWithoutModelOption()
    {
        var (rc, stdout, err) = CliHarness.Run("generate", "--prompt", "The jury said", "--max-tokens", "24");
        Assert.True(rc == 0, err);
        Assert.True(stdout.Trim().Length > 20, $"generated only '{stdout}'");
        Assert.Contains("MTP speculation", err);
        (rc, stdout, err) = CliHarness.Run("inspect", "--model", Dir);
        Assert.True(rc == 0, err);
        Assert.Contains("KV cache bytes per token", stdout);
    }
}

public class DefaultModelSpeculativeTests
{
    /// <summary>Greedy with MTP speculation equals plain greedy, token for token, on 20 validation prompts of 200 tokens.</summary>
    [Fact]
    public async Task SpeculativeGreedyEqualsPlainOnTwentyPrompts()
    {
        string dir = Path.Combine(Fixtures.RepoRoot, "models", "default");
        using var m = Transformer.Load(dir);
        var tok = HfTokenizer.Load(dir);
        var prompts = File.ReadAllLines(Path.Combine(Fixtures.RepoRoot, "data", "prompts", "brown-validation-20.txt")).Where(l => l.Length > 0).ToArray();
        Assert.Equal(20, prompts.Length);
        var o = DeepSeekSharp.Inference.SamplingOptions.Greedy with { MaxNewTokens = 200, StopTokenIds = Array.Empty<int>() };
        int drafted = 0, accepted = 0;
        foreach (var p in prompts)
        {
            var ids = tok.Encode(p, addSpecialTokens: true);
            var plain = new List<int>();
            await foreach (var t in new DeepSeekSharp.Inference.Generator(m, speculative: false).GenerateAsync(ids, o)) plain.Add(t);
            var stats = new DeepSeekSharp.Inference.GenerationStats();
            var spec = new List<int>();
            await foreach (var t in new DeepSeekSharp.Inference.Generator(m, speculative: true).GenerateAsync(ids, o, stats)) spec.Add(t);
            Assert.Equal(plain, spec);
            drafted += stats.DraftedTokens;
            accepted += stats.AcceptedDrafts;
        }
        Assert.True(drafted > 0);
    }
}
