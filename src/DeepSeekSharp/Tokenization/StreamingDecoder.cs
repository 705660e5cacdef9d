using System.Text;

namespace DeepSeekSharp.Tokenization;

/// <summary>
/// Turns ids into text one at a time. A token may end inside a UTF-8 character (byte-level BPE splits emoji
/// and CJK across tokens); those bytes are held back until the character is complete, so the text returned
/// never contains a broken sequence. <see cref="Flush"/> returns what is left (invalid bytes as U+FFFD).
/// </summary>
public sealed class StreamingDecoder
{
    private readonly HfTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<byte> _pending = new(8);

    internal StreamingDecoder(HfTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Bytes received but not yet returned as text (an incomplete UTF-8 character).</summary>
    public int PendingByteCount => _pending.Count;

    /// <summary>The new text this id completes; empty while a character is still incomplete.</summary>
    public string Add(int id)
    {
        if (_skipSpecialTokens && _tokenizer.IsSpecial(id)) return "";
        _pending.AddRange(_tokenizer.TokenBytes(id));
        int complete = CompletePrefixLength(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        if (complete == 0) return "";
        string text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..complete]);
        _pending.RemoveRange(0, complete);
        return text;
    }

    /// <summary>Returns held-back bytes (as U+FFFD, since they never completed a character) and clears them.</summary>
    public string Flush()
    {
        string text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return text;
    }

    public void Reset() => _pending.Clear();

    /// <summary>
    /// Length of the prefix that can be decoded now: everything except a trailing lead byte plus continuation
    /// bytes that could still become a valid character. Bytes that can never be valid are not held back.
    /// </summary>
    internal static int CompletePrefixLength(ReadOnlySpan<byte> bytes)
    {
        // An incomplete character is at most 3 bytes at the end; find its lead byte.
        for (int back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            byte b = bytes[^back];
            if ((b & 0xC0) == 0x80) continue;          // continuation byte: keep looking for the lead
            int need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1;
            if (need > back && IsValidPrefix(bytes[^back..])) return bytes.Length - back;
            return bytes.Length;
        }
        return bytes.Length;
    }

    // Whether these bytes (a lead byte and continuations) can still be completed into a valid character.
    private static bool IsValidPrefix(ReadOnlySpan<byte> partial)
    {
        if (partial.Length < 2) return true;
        byte lead = partial[0], second = partial[1];
        return lead switch
        {
            0xE0 => second >= 0xA0,                    // no overlong 3-byte forms
            0xED => second < 0xA0,                     // no surrogates
            0xF0 => second >= 0x90,                    // no overlong 4-byte forms
            0xF4 => second < 0x90,                     // nothing above U+10FFFF
            _ => true,
        };
    }
}
