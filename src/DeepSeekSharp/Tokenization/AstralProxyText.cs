using System.Globalization;
using System.Text;

namespace DeepSeekSharp.Tokenization;

/// <summary>
/// .NET regexes see a character outside the BMP as two surrogate chars of category Cs, so <c>\p{L}</c> or
/// <c>\p{S}</c> never match an emoji or a math letter, unlike the Oniguruma regexes of Hugging Face tokenizers.
/// This builds a proxy of the text where each such character is one BMP stand-in of the same general category,
/// runs the regex on the proxy, and maps positions back to the original text.
/// </summary>
internal sealed class AstralProxyText
{
    // One BMP stand-in per general category; none is ASCII, CJK, kana or whitespace, so explicit ranges in the
    // DeepSeek patterns never catch them. Checked by the static constructor.
    private static readonly Dictionary<UnicodeCategory, char> StandIns = new()
    {
        [UnicodeCategory.UppercaseLetter] = '\u0531',
        [UnicodeCategory.LowercaseLetter] = '\u0561',
        [UnicodeCategory.TitlecaseLetter] = '\u01C5',
        [UnicodeCategory.ModifierLetter] = '\u02B0',
        [UnicodeCategory.OtherLetter] = '\u05D0',
        [UnicodeCategory.NonSpacingMark] = '\u0300',
        [UnicodeCategory.SpacingCombiningMark] = '\u0903',
        [UnicodeCategory.EnclosingMark] = '\u20DD',
        [UnicodeCategory.DecimalDigitNumber] = '\u0660',
        [UnicodeCategory.LetterNumber] = '\u2160',
        [UnicodeCategory.OtherNumber] = '\u00B2',
        [UnicodeCategory.ConnectorPunctuation] = '\u203F',
        [UnicodeCategory.DashPunctuation] = '\u2010',
        [UnicodeCategory.OpenPunctuation] = '\u2045',
        [UnicodeCategory.ClosePunctuation] = '\u2046',
        [UnicodeCategory.InitialQuotePunctuation] = '\u00AB',
        [UnicodeCategory.FinalQuotePunctuation] = '\u00BB',
        [UnicodeCategory.OtherPunctuation] = '\u00B6',
        [UnicodeCategory.MathSymbol] = '\u00D7',
        [UnicodeCategory.CurrencySymbol] = '\u00A2',
        [UnicodeCategory.ModifierSymbol] = '\u00B4',
        [UnicodeCategory.OtherSymbol] = '\u00A6',
        [UnicodeCategory.PrivateUse] = '\uE000',
        [UnicodeCategory.Format] = '\u00AD',
        [UnicodeCategory.OtherNotAssigned] = '\u0378',
    };

    static AstralProxyText()
    {
        foreach (var (category, c) in StandIns)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != category)
                throw new InvalidOperationException($"stand-in U+{(int)c:X4} is not of category {category}");
        }
    }

    /// <summary>The text the regex runs on.</summary>
    public string Proxy { get; }

    // _origin[i] = index in the original text of proxy char i; one extra entry for the end.
    private readonly int[]? _origin;

    private AstralProxyText(string proxy, int[]? origin)
    {
        Proxy = proxy;
        _origin = origin;
    }

    public static AstralProxyText Create(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAnyInRange('\uD800', '\uDFFF')) return new AstralProxyText(text.ToString(), null);
        var sb = new StringBuilder(text.Length);
        var origin = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i++)
        {
            origin.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int cp = char.ConvertToUtf32(text[i], text[i + 1]);
                sb.Append(StandIns.GetValueOrDefault(CharUnicodeInfo.GetUnicodeCategory(cp), '\u0378'));
                i++;
            }
            else
            {
                sb.Append(text[i]);
            }
        }
        origin.Add(text.Length);
        return new AstralProxyText(sb.ToString(), origin.ToArray());
    }

    /// <summary>Maps a position in <see cref="Proxy"/> (0..Proxy.Length) to the original text.</summary>
    public int ToOriginal(int proxyIndex) => _origin is null ? proxyIndex : _origin[proxyIndex];
}
