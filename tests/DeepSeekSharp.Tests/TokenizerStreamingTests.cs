using System.Text;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Tests;

public class TokenizerStreamingTests
{
    private static HfTokenizer Tok => TokenizerTestData.Tokenizer;

    private static List<string> Stream(int[] ids, StreamingDecoder decoder) => ids.Select(decoder.Add).ToList();

    private static void AssertWellFormed(string chunk)
    {
        Assert.DoesNotContain('\uFFFD', chunk);
        for (int i = 0; i < chunk.Length; i++)
        {
            if (char.IsHighSurrogate(chunk[i])) Assert.True(i + 1 < chunk.Length && char.IsLowSurrogate(chunk[++i]), "broken surrogate pair");
            else Assert.False(char.IsLowSurrogate(chunk[i]), "lone low surrogate");
        }
    }

    [Theory]
    [InlineData("emoji 🙂👍🏽🚀 and ZWJ 👩‍💻")]
    [InlineData("中文测试：深度求索发布了新模型。")]
    [InlineData("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛")]
    [InlineData("rare CJK 𠀀𪚥龘 and kana ゟ")]
    public void StreamedChunksAreWholeCharactersAndJoinToTheText(string text)
    {
        int[] ids = Tok.Encode(text);
        var decoder = Tok.CreateStreamingDecoder();
        var chunks = Stream(ids, decoder);
        chunks.ForEach(AssertWellFormed);
        Assert.Equal(0, decoder.PendingByteCount);
        Assert.Equal("", decoder.Flush());
        Assert.Equal(text, string.Concat(chunks));
    }

    [Fact]
    public void HoldsBackACharacterSplitAcrossTokens()
    {
        // 🏽 (F0 9F 8F BD) is two tokens here: "ðŁı" (3 bytes) and "½" (1 byte).
        int[] ids = Tok.Encode("👍🏽");
        Assert.Equal(new string?[] { "ðŁĳį", "ðŁı", "½" }, ids.Select(id => Tok.IdToToken(id)).ToArray());
        var decoder = Tok.CreateStreamingDecoder();
        Assert.Equal("👍", decoder.Add(ids[0]));
        Assert.Equal("", decoder.Add(ids[1]));
        Assert.Equal(3, decoder.PendingByteCount);
        Assert.Equal("🏽", decoder.Add(ids[2]));
        Assert.Equal(0, decoder.PendingByteCount);
    }

    [Fact]
    public void EveryReferenceTextStreamsBackExactly()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.ReferencePath));
        int heldBack = 0;
        foreach (var e in doc.RootElement.GetProperty("encode").EnumerateArray())
        {
            int[] ids = e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var decoder = Tok.CreateStreamingDecoder();
            var chunks = Stream(ids, decoder);
            heldBack += chunks.Count(c => c.Length == 0);
            chunks.ForEach(AssertWellFormed);
            Assert.Equal(e.GetProperty("decoded").GetString(), string.Concat(chunks) + decoder.Flush());
        }
        Assert.True(heldBack > 0, "no reference text split a character across tokens");
    }

    [Fact]
    public void FlushReturnsAnUnfinishedCharacterAsReplacement()
    {
        int[] ids = Tok.Encode("👍🏽");
        var decoder = Tok.CreateStreamingDecoder();
        decoder.Add(ids[0]);
        Assert.Equal("", decoder.Add(ids[1]));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal(0, decoder.PendingByteCount);
    }

    [Fact]
    public void SkipsSpecialTokensWhenAsked()
    {
        int[] ids = Tok.Encode("<｜begin▁of▁sentence｜>hi<｜end▁of▁sentence｜>");
        Assert.Equal("hi", string.Concat(Stream(ids, Tok.CreateStreamingDecoder(skipSpecialTokens: true))));
        Assert.Equal("<｜begin▁of▁sentence｜>hi<｜end▁of▁sentence｜>", string.Concat(Stream(ids, Tok.CreateStreamingDecoder())));
    }

    [Theory]
    [InlineData(new byte[] { 0x41, 0xE2, 0x82 }, 1)]       // "A" + 2 of the 3 bytes of €: hold 2
    [InlineData(new byte[] { 0x41, 0xE2, 0x82, 0xAC }, 4)] // complete €
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98 }, 0)]       // 3 of the 4 bytes of an emoji
    [InlineData(new byte[] { 0x41, 0x80 }, 2)]             // stray continuation byte: never valid, not held
    [InlineData(new byte[] { 0xED, 0xA0 }, 2)]             // start of a surrogate: never valid, not held
    [InlineData(new byte[] { 0xC3 }, 0)]                   // lead byte of é
    [InlineData(new byte[] { 0xC0 }, 1)]                   // overlong lead: never valid
    public void HoldsBackOnlyBytesThatCanStillBecomeACharacter(byte[] bytes, int decodable) =>
        Assert.Equal(decodable, StreamingDecoder.CompletePrefixLength(bytes));

    [Fact]
    public void DecodesLikeTheWholeSequenceForRandomTokenRuns()
    {
        var rng = new Random(1234);
        for (int run = 0; run < 50; run++)
        {
            int[] ids = Enumerable.Range(0, 30).Select(_ => rng.Next(3, 128000)).ToArray();
            var decoder = Tok.CreateStreamingDecoder();
            string streamed = string.Concat(Stream(ids, decoder)) + decoder.Flush();
            Assert.Equal(Tok.Decode(ids), streamed);
        }
    }
}
