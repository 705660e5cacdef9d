using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Tests;

/// <summary>The DeepSeek-V3 tokenizer from ../shared, loaded once for all tokenizer tests.</summary>
public sealed class TokenizerTestData
{
    public static string Dir => Path.Combine(Fixtures.Shared, "tokenizers", "deepseek-v3");
    public static string ReferencePath => Path.Combine(Fixtures.Dir("tokenizer-deepseek-v3"), "reference.json");

    private static readonly Lazy<HfTokenizer> Shared = new(() => HfTokenizer.Load(Dir));
    public static HfTokenizer Tokenizer => Shared.Value;
}
