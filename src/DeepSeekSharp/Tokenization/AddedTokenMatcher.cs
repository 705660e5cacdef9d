namespace DeepSeekSharp.Tokenization;

/// <summary>
/// Finds added tokens in text before pre-tokenization, leftmost first and longest at a position, as Hugging Face
/// tokenizers do; the text between them goes through the normal pre-tokenizer and BPE.
/// </summary>
internal sealed class AddedTokenMatcher
{
    // By first char: the tokens starting with it, longest first.
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>Splits text into segments: plain text (Token null) or one added token.</summary>
    public IEnumerable<(int Start, int Length, AddedToken? Token)> Split(string text)
    {
        int plainStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!_byFirstChar.TryGetValue(text[i], out var candidates)) continue;
            foreach (var t in candidates)
            {
                if (string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) != 0) continue;
                if (i > plainStart) yield return (plainStart, i - plainStart, null);
                yield return (i, t.Content.Length, t);
                i += t.Content.Length - 1;
                plainStart = i + 1;
                break;
            }
        }
        if (plainStart < text.Length) yield return (plainStart, text.Length - plainStart, null);
    }
}
