using System.Text.Json;

namespace DeepSeekSharp.Tests;

/// <summary>The 30 texts of reference.json, encoded by Hugging Face tokenizers (no special tokens added).</summary>
public class TokenizerReferenceTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        int n = Reference().RootElement.GetProperty("encode").GetArrayLength();
        for (int i = 0; i < n; i++) data.Add(i);
        return data;
    }

    private static JsonDocument Reference() => JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.ReferencePath));

    private static (string Text, int[] Ids, string[] Tokens, string Decoded) Case(int i)
    {
        using var doc = Reference();
        var e = doc.RootElement.GetProperty("encode")[i];
        return (e.GetProperty("text").GetString()!,
            e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            e.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!).ToArray(),
            e.GetProperty("decoded").GetString()!);
    }

    [Fact]
    public void ReferenceHasThirtyTexts() => Assert.Equal(30, Cases().Count);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodesToReferenceIds(int i)
    {
        var (text, ids, tokens, _) = Case(i);
        var tok = TokenizerTestData.Tokenizer;
        int[] got = tok.Encode(text);
        Assert.Equal(ids, got);
        Assert.Equal(tokens, got.Select(id => tok.IdToToken(id)).ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodesToReferenceText(int i)
    {
        var (_, ids, _, decoded) = Case(i);
        Assert.Equal(decoded, TokenizerTestData.Tokenizer.Decode(ids));
    }
}
