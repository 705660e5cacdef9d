using DeepSeekSharp.Conversion;

namespace DeepSeekSharp.Tests;

/// <summary>tokenizer.json to llama.cpp's gpt2 vocabulary: the DeepSeek-V3 tokenizer and the synthetic one.</summary>
public class GgufTokenizerTests
{
    [Fact]
    public void DeepSeekV3TokenizerBecomesAGpt2Vocabulary()
    {
        string path = Path.Combine(Fixtures.Shared, "tokenizers", "deepseek-v3", "tokenizer.json");
        var t = GgufTokenizerData.Load(path, 129280);
        Assert.Equal(129280, t.Tokens.Length);
        Assert.Equal("<｜begin▁of▁sentence｜>", t.Tokens[0]);
        Assert.Equal(GgufTokenizerData.Control, t.TokenTypes[0]);
        Assert.Equal(0, t.BosId);
        Assert.Equal(1, t.EosId);
        Assert.Equal(1, t.PadId);
        Assert.True(t.AddBos);
        Assert.False(t.AddEos);
        Assert.Contains("add_generation_prompt", t.ChatTemplate);
        Assert.Equal(127741, t.Merges.Length);
        Assert.Equal("Ġ t", t.Merges[0]);
        Assert.Equal("[PAD129279]", t.Tokens[^1]);
        Assert.Equal(GgufTokenizerData.Unused, t.TokenTypes[^1]);
        Assert.Equal(GgufTokenizerData.Normal, t.TokenTypes[1000]);
        Assert.Equal(14, t.TokenTypes.Count(x => x == GgufTokenizerData.UserDefined));
        Assert.Equal(129280 - 128815, t.TokenTypes.Count(x => x == GgufTokenizerData.Unused));
    }

    [Fact]
    public void ATokenizerLargerThanTheModelIsRefused()
    {
        string path = Path.Combine(Fixtures.Shared, "tokenizers", "deepseek-v3", "tokenizer.json");
        var e = Assert.Throws<DssException>(() => GgufTokenizerData.Load(path, 1024));
        Assert.Contains("outside the model's vocabulary of 1024", e.Message);
    }

    [Fact]
    public void SyntheticTokenizerIsAValidByteLevelBpeOfTheExactSize()
    {
        using var tmp = new Fixtures.TempDir();
        SyntheticTokenizer.Write(tmp.Path, 1024);
        var fromFile = GgufTokenizerData.Load(tmp.File("tokenizer.json"), 1024);
        var direct = SyntheticTokenizer.ToGgufData(1024);
        Assert.Equal(direct.Tokens, fromFile.Tokens);
        Assert.Equal(direct.TokenTypes, fromFile.TokenTypes);
        Assert.Equal(direct.Merges, fromFile.Merges);
        Assert.Equal((0, 1, true), (fromFile.BosId!.Value, fromFile.EosId!.Value, fromFile.AddBos!.Value));
        Assert.Equal(1024, fromFile.Tokens.Distinct().Count());
        // Every merge joins two earlier tokens into the next new one.
        var id = fromFile.Tokens.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);
        for (int m = 0; m < fromFile.Merges.Length; m++)
        {
            var parts = fromFile.Merges[m].Split(' ');
            Assert.Equal(2, parts.Length);
            Assert.True(id[parts[0]] < 258 + m && id[parts[1]] < 258 + m);
            Assert.Equal(258 + m, id[parts[0] + parts[1]]);
        }
        Assert.Equal("Ġ", fromFile.Tokens[2 + ' ']);
        Assert.Throws<DssException>(() => SyntheticTokenizer.Build(100));
    }
}
