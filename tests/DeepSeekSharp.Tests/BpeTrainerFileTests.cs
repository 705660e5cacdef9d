using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeekSharp.Tokenization;
using DeepSeekSharp.Tokenization.Training;

namespace DeepSeekSharp.Tests;

/// <summary>A tokenizer trained once on a sample of the Brown corpus, written to a temporary folder and loaded back.</summary>
public sealed class BrownSampleTokenizer : IDisposable
{
    public const int VocabSize = 1000;

    /// <summary>Text the sample does not hold: digits, punctuation, accents, CJK, kana, emoji, CR LF, tabs, combining marks.</summary>
    public const string Unicode =
        "In 1961, 12345678 people paid $3,250,000.50 (about 7%) -- \"quoted\" [sic]; e-mail: a@b.c!?\r\n" +
        "naïve café Ångström Ωmega Straße\t東京は日本の首都です。カタカナ and ひらがな.\n" +
        "emoji 👍🏽 🎉, math 𝑥² ≤ 10³, e\u0301 combining, fullwidth ＡＢＣ１２３, \u00a0nbsp\u2003em space  \n\n  end";

    private readonly Fixtures.TempDir _dir = new();

    public string Dir => _dir.Path;
    public string SampleText { get; }
    public TrainedBpe Bpe { get; }
    public HfTokenizer Tokenizer { get; }

    public BrownSampleTokenizer()
    {
        var brown = Path.Combine(Fixtures.Shared, "corpora", "brown");
        SampleText = string.Concat(new[] { "news", "learned", "fiction", "government" }
            .Select(n => TrainingCorpus.ReadText(Path.Combine(brown, n + ".txt"))[..30_000]));
        var counts = new PreTokenCounts();
        counts.Add(SampleText);
        Bpe = new BpeTrainer(new BpeTrainerOptions(VocabSize)).Train(counts);
        TrainedTokenizerFiles.Write(Bpe, Dir);
        Tokenizer = HfTokenizer.Load(Dir);
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>The written tokenizer.json / tokenizer_config.json: loadable, lossless, HF layout, pinned ids.</summary>
public class BpeTrainerFileTests(BrownSampleTokenizer trained) : IClassFixture<BrownSampleTokenizer>
{
    private static string DeepSeekDir => TokenizerTestData.Dir;

    [Fact]
    public void LoadsWithTheAskedVocabSizeAndSpecialIds()
    {
        var tok = trained.Tokenizer;
        Assert.Equal(BrownSampleTokenizer.VocabSize, tok.VocabSize);
        Assert.Equal(0, tok.BosTokenId);
        Assert.Equal(1, tok.EosTokenId);
        Assert.Equal(2, tok.TokenToId(BpeSpecialTokens.Pad));
        Assert.Equal([3, 4], tok.Encode(BpeSpecialTokens.User + BpeSpecialTokens.Assistant));
        Assert.Equal(0, tok.Encode("The jury", addSpecialTokens: true)[0]);
        Assert.True(tok.IsSpecial(1));
        Assert.False(tok.IsSpecial(3));
    }

    [Fact]
    public void RoundTripsTheSampleAndUnicodeText()
    {
        var tok = trained.Tokenizer;
        Assert.Equal(trained.SampleText, tok.Decode(tok.Encode(trained.SampleText)));
        Assert.Equal(BrownSampleTokenizer.Unicode, tok.Decode(tok.Encode(BrownSampleTokenizer.Unicode)));
        string withSpecials = BpeSpecialTokens.Bos + "Hi 42" + BpeSpecialTokens.User + "x" + BpeSpecialTokens.Eos;
        Assert.Equal(withSpecials, tok.Decode(tok.Encode(withSpecials)));
        Assert.Equal("Hi 42" + BpeSpecialTokens.User + "x", tok.Decode(tok.Encode(withSpecials), skipSpecialTokens: true));
    }

    [Fact]
    public void EncodesAsTheTrainerCountedAndAsAPlainRankOrderEncoder()
    {
        var tok = trained.Tokenizer;
        Assert.Equal(trained.Bpe.TrainingTokens, tok.Encode(trained.SampleText).Length);
        Assert.Equal(BpeTrainerReferenceTests.ReferenceIds(trained.SampleText, trained.Bpe), tok.Encode(trained.SampleText));
        Assert.Equal(BpeTrainerReferenceTests.ReferenceIds(BrownSampleTokenizer.Unicode, trained.Bpe), tok.Encode(BrownSampleTokenizer.Unicode));
    }

    [Fact]
    public void SplitsDigitsInGroupsOfThree()
    {
        var tok = trained.Tokenizer;
        var pieces = tok.Encode("1234567").Select(id => tok.Decode([id])).ToList();
        Assert.Equal("1234567", string.Concat(pieces));
        Assert.All(pieces, p => Assert.True(p.Length <= 3, p));
        Assert.Contains(tok.Encode(" 1234"), id => tok.Decode([id]) == " ");   // the space is not glued to a digit
    }

    [Fact]
    public void UsesDeepSeekV3PreTokenizerPatternsVerbatim()
    {
        using var ours = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(trained.Dir, "tokenizer.json")));
        using var theirs = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(DeepSeekDir, "tokenizer.json")));
        var patterns = theirs.RootElement.GetProperty("pre_tokenizer").GetProperty("pretokenizers").EnumerateArray()
            .Where(p => p.GetProperty("type").GetString() == "Split")
            .Select(p => p.GetProperty("pattern").GetProperty("Regex").GetString()!).ToList();
        Assert.Equal(patterns, DeepSeekV3PreTokenizer.Patterns);
    }

    [Fact]
    public void TokenizerJsonHasDeepSeekV3Layout()
    {
        var ours = JsonNode.Parse(File.ReadAllBytes(Path.Combine(trained.Dir, "tokenizer.json")))!.AsObject();
        var theirs = JsonNode.Parse(File.ReadAllBytes(Path.Combine(DeepSeekDir, "tokenizer.json")))!.AsObject();
        Assert.Equal(theirs.Select(p => p.Key), ours.Select(p => p.Key));
        foreach (string key in new[] { "version", "truncation", "padding", "normalizer", "pre_tokenizer", "post_processor", "decoder" })
            Assert.True(JsonNode.DeepEquals(theirs[key], ours[key]), key);

        // Same model keys in the same order, plus tokenizers 0.20's "ignore_merges"; merges as [left, right] pairs.
        var model = ours["model"]!.AsObject();
        var expectedKeys = theirs["model"]!.AsObject().Select(p => p.Key).ToList();
        expectedKeys.Insert(expectedKeys.IndexOf("vocab"), "ignore_merges");
        Assert.Equal(expectedKeys, model.Select(p => p.Key));
        foreach (string key in new[] { "type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", "byte_fallback" })
            Assert.True(JsonNode.DeepEquals(theirs["model"]![key], model[key]), key);
        Assert.False(model["ignore_merges"]!.GetValue<bool>());
        var firstMerge = model["merges"]![0]!.AsArray();
        Assert.Equal(["Ġ", "t"], firstMerge.Select(m => m!.GetValue<string>()));
        var vocab = model["vocab"]!.AsObject();
        Assert.Equal(Enumerable.Range(0, BrownSampleTokenizer.VocabSize), vocab.Select(p => p.Value!.GetValue<int>()));

        // Added tokens: the same fields and, for tokens DeepSeek-V3 has, the same content and flags.
        var theirAdded = theirs["added_tokens"]!.AsArray().Select(a => a!.AsObject()).ToDictionary(a => a["content"]!.GetValue<string>());
        var ourAdded = ours["added_tokens"]!.AsArray().Select(a => a!.AsObject()).ToList();
        Assert.Equal(BpeSpecialTokens.All.Select(t => t.Content), ourAdded.Select(a => a["content"]!.GetValue<string>()));
        foreach (var a in ourAdded)
        {
            var their = theirAdded[a["content"]!.GetValue<string>()];
            Assert.Equal(their.Select(p => p.Key), a.Select(p => p.Key));
            foreach (string flag in new[] { "single_word", "lstrip", "rstrip", "normalized", "special" })
                Assert.True(JsonNode.DeepEquals(their[flag], a[flag]), flag);
            int id = a["id"]!.GetValue<int>();
            Assert.Equal(id, vocab[a["content"]!.GetValue<string>()]!.GetValue<int>());
            if (id < 3) Assert.Equal(their["id"]!.GetValue<int>(), id);
        }
    }

    [Fact]
    public void TokenizerConfigIsDeepSeekV3Style()
    {
        var ours = JsonNode.Parse(File.ReadAllBytes(Path.Combine(trained.Dir, "tokenizer_config.json")))!.AsObject();
        var theirs = JsonNode.Parse(File.ReadAllBytes(Path.Combine(DeepSeekDir, "tokenizer_config.json")))!.AsObject();
        Assert.All(ours.Select(p => p.Key), k => Assert.True(theirs.ContainsKey(k), k));
        Assert.True(ours["add_bos_token"]!.GetValue<bool>());
        Assert.False(ours["add_eos_token"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(theirs["bos_token"], ours["bos_token"]));
        Assert.True(JsonNode.DeepEquals(theirs["eos_token"], ours["eos_token"]));
        Assert.Equal(BpeSpecialTokens.Pad, ours["pad_token"]!["content"]!.GetValue<string>());
        var config = trained.Tokenizer.Config;
        Assert.Equal(BpeSpecialTokens.Bos, config.BosToken);
        Assert.Equal(BpeSpecialTokens.Eos, config.EosToken);
    }

    [Fact]
    public void ChatTemplateRendersLikeDeepSeekV3WithoutTools()
    {
        var messages = new List<ChatMessage>
        {
            new("system", "Be brief."), new("system", "Use plain words."), new("user", "Who said it?"),
            new("assistant", "The jury."), new("user", "When?"),
        };
        var ours = ChatTemplate.For(trained.Tokenizer).Render(messages, addGenerationPrompt: true, trained.Tokenizer);
        var theirs = ChatTemplate.For(TokenizerTestData.Tokenizer).Render(messages, addGenerationPrompt: true, TokenizerTestData.Tokenizer);
        Assert.Equal(theirs, ours);
        Assert.Equal("<｜begin▁of▁sentence｜>Be brief.\n\nUse plain words.<｜User｜>Who said it?<｜Assistant｜>The jury." +
            "<｜end▁of▁sentence｜><｜User｜>When?<｜Assistant｜>", ours);
        int[] ids = trained.Tokenizer.Encode(ours);
        Assert.Equal(0, ids[0]);
        Assert.Equal(4, ids[^1]);
        Assert.Equal(2, ids.Count(id => id == 3));
    }
}
