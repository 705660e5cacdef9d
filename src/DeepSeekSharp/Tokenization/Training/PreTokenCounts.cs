namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// How often each pre-token ("word") occurs in the training text. Each text is split exactly as
/// <see cref="HfTokenizer.Encode"/> splits it: added tokens written in the text are cut out first (and not
/// counted, as Hugging Face's trainer does), the rest goes through the DeepSeek-V3 Split sequence.
/// </summary>
public sealed class PreTokenCounts
{
    private readonly SplitSequencePreTokenizer _preTokenizer = DeepSeekV3PreTokenizer.Create();
    private readonly AddedTokenMatcher _added = new(BpeSpecialTokens.All);
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    /// <summary>Distinct pre-tokens and their counts.</summary>
    public IReadOnlyDictionary<string, long> Counts => _counts;

    /// <summary>All pre-tokens counted (with repetition).</summary>
    public long Total { get; private set; }

    /// <summary>Added tokens written in the text (each one token when encoding, never part of a merge).</summary>
    public long AddedTokenOccurrences { get; private set; }

    /// <summary>Whitespace-separated words seen (runs of non-white-space chars), for tokens-per-word statistics.</summary>
    public long WhitespaceWords { get; private set; }

    public void Add(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var (start, length, token) in _added.Split(text))
        {
            if (token is not null)
            {
                AddedTokenOccurrences++;
                continue;
            }
            var segment = text.AsSpan(start, length);
            foreach (var (offset, len) in _preTokenizer.PreTokenize(segment))
            {
                var word = segment.Slice(offset, len);
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(lookup, word, out _)++;
                Total++;
            }
        }
        WhitespaceWords += CountWhitespaceWords(text);
    }

    internal static long CountWhitespaceWords(ReadOnlySpan<char> text)
    {
        long words = 0;
        bool inWord = false;
        foreach (char c in text)
        {
            bool white = char.IsWhiteSpace(c);
            if (!white && !inWord) words++;
            inWord = !white;
        }
        return words;
    }
}
