using System.Text.RegularExpressions;

namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// DeepSeek-V3's pre-tokenisation, exactly as its tokenizer.json writes it: a <c>Sequence</c> of three
/// <c>Split</c> pre-tokenizers (behavior "Isolated") — digits in groups of up to 3, runs of CJK/kana isolated,
/// then the word / punctuation / whitespace split — followed by a ByteLevel step that only maps bytes to chars.
/// The trainer counts words with it and writes the same patterns into the tokenizer.json it produces.
/// </summary>
internal static class DeepSeekV3PreTokenizer
{
    public const string Digits = @"\p{N}{1,3}";
    public const string Cjk = "[一-龥぀-ゟ゠-ヿ]+";
    public const string WordsAndPunctuation =
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

    /// <summary>The Split regexes in the order they run.</summary>
    public static IReadOnlyList<string> Patterns { get; } = [Digits, Cjk, WordsAndPunctuation];

    /// <summary>The pre-tokenizer our <see cref="HfTokenizer"/> builds from the same patterns.</summary>
    public static SplitSequencePreTokenizer Create() =>
        new([.. Patterns.Select(p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant))]);
}
