using System.Diagnostics;
using System.Text.RegularExpressions;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Tests;

public class TokenizerTests
{
    private static HfTokenizer Tok => TokenizerTestData.Tokenizer;

    [Fact]
    public void ReadsVocabularyAddedTokensAndConfig()
    {
        Assert.Equal(128815, Tok.VocabSize);   // 128,000 BPE entries + added tokens up to id 128,814
        Assert.Equal("Hello", Tok.IdToToken(19923));
        Assert.Equal(2058, Tok.TokenToId("Ġworld"));
        Assert.Equal(128803, Tok.TokenToId("<｜User｜>"));
        Assert.Null(Tok.IdToToken(-1));
        Assert.Null(Tok.IdToToken(Tok.VocabSize));
        Assert.Null(Tok.TokenToId("not a token at all"));
        Assert.Equal("<｜begin▁of▁sentence｜>", Tok.BosToken);
        Assert.Equal("<｜end▁of▁sentence｜>", Tok.EosToken);
        Assert.Equal(0, Tok.BosTokenId);
        Assert.Equal(1, Tok.EosTokenId);
        Assert.StartsWith("{% if not add_generation_prompt is defined %}", Tok.ChatTemplate);
    }

    [Fact]
    public void AddSpecialTokensPrependsBosOnly()
    {
        int[] plain = Tok.Encode("Hello, world!");
        int[] withBos = Tok.Encode("Hello, world!", addSpecialTokens: true);
        Assert.Equal([0, .. plain], withBos);
    }

    [Fact]
    public void SpecialAndAddedTokensInTextAreOneIdEach()
    {
        int[] ids = Tok.Encode("<｜User｜>hi<｜end▁of▁sentence｜>");
        Assert.Equal(128803, ids[0]);
        Assert.Equal(1, ids[^1]);
        Assert.Equal(3, ids.Length);
    }

    [Fact]
    public void SkipSpecialTokensDropsSpecialButKeepsOtherAddedTokens()
    {
        int[] ids = Tok.Encode("<｜begin▁of▁sentence｜><｜User｜>hi<｜end▁of▁sentence｜>");
        Assert.Equal("<｜User｜>hi", Tok.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>hi<｜end▁of▁sentence｜>", Tok.Decode(ids));
    }

    [Fact]
    public void DecodingAnUnknownIdIsAClearError()
    {
        var e = Assert.Throws<DssException>(() => Tok.Decode([5, Tok.VocabSize + 10]));
        Assert.Contains($"token id {Tok.VocabSize + 10}", e.Message);
    }

    [Fact]
    public void PreTokenizerSeesCharactersOutsideTheBmpByTheirUnicodeCategory()
    {
        // 🙂 is a symbol (So): " ?[\p{P}\p{S}]+" takes it with its leading space; 𝔘 (Lu) joins the letters after it.
        var pre = new SplitSequencePreTokenizer(
        [
            new Regex(@"\p{N}{1,3}"),
            new Regex(@"[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s+"),
        ]);
        const string text = "a 🙂𝔘b 𝟙𝟚𝟛𝟜";
        var pieces = pre.PreTokenize(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();
        Assert.Equal(["a", " 🙂", "𝔘b", " ", "𝟙𝟚𝟛", "𝟜"], pieces);
    }

    [Fact]
    public void MissingFolderOrFilesAreClearErrors()
    {
        using var dir = new Fixtures.TempDir();
        Assert.Contains("tokenizer folder not found", Assert.Throws<DssException>(() => HfTokenizer.Load(dir.File("nope"))).Message);
        Assert.Contains("no tokenizer.json", Assert.Throws<DssException>(() => HfTokenizer.Load(dir.Path)).Message);
        File.WriteAllText(dir.File("tokenizer.json"), "{}");
        Assert.Contains("no tokenizer_config.json", Assert.Throws<DssException>(() => HfTokenizer.Load(dir.Path)).Message);
    }

    [Theory]
    [InlineData("{\"model\": ", "not valid JSON")]
    [InlineData("{}", "no \"model\" object")]
    [InlineData("{\"model\": {\"type\": \"Unigram\"}}", "model type 'Unigram' is not supported")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}", "no \"merges\" array")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"Metaspace\"}}", "pre-tokenizer 'Metaspace' is not supported")]
    public void MalformedTokenizerJsonIsAClearError(string json, string message)
    {
        using var dir = new Fixtures.TempDir();
        File.WriteAllText(dir.File("tokenizer.json"), json);
        File.WriteAllText(dir.File("tokenizer_config.json"), "{}");
        var e = Assert.Throws<DssException>(() => HfTokenizer.Load(dir.Path));
        Assert.Contains(message, e.Message);
        Assert.Contains("tokenizer.json", e.Message);
    }

    [Fact]
    public void ConfigTokensMayBePlainStrings()
    {
        using var dir = new Fixtures.TempDir();
        File.Copy(Path.Combine(TokenizerTestData.Dir, "tokenizer.json"), dir.File("tokenizer.json"));
        File.WriteAllText(dir.File("tokenizer_config.json"),
            """{"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>", "add_eos_token": true}""");
        var tok = HfTokenizer.Load(dir.Path);
        Assert.Equal(0, tok.BosTokenId);
        Assert.Equal(1, tok.EosTokenId);
        Assert.Null(tok.ChatTemplate);
        Assert.Equal([0, 19923, 1], tok.Encode("Hello", addSpecialTokens: true));
    }

    [Fact]
    public void MalformedConfigIsAClearError()
    {
        using var dir = new Fixtures.TempDir();
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"bos_token": 5}""");
        var e = Assert.Throws<DssException>(() => TokenizerConfig.Read(dir.File("tokenizer_config.json")));
        Assert.Contains("\"bos_token\" is neither a string nor an object", e.Message);
    }
}
