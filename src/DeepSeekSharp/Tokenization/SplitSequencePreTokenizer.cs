using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace DeepSeekSharp.Tokenization;

/// <summary>
/// Hugging Face's <c>Sequence</c> of <c>Split</c> pre-tokenizers with behavior "Isolated": each regex splits
/// every piece left by the previous one into its matches and the gaps between them (both kept, empty ones
/// dropped). Regexes run on an <see cref="AstralProxyText"/> so Unicode classes see characters outside the BMP.
/// </summary>
internal sealed class SplitSequencePreTokenizer : PreTokenizer
{
    private readonly Regex[] _splits;

    public SplitSequencePreTokenizer(IReadOnlyList<Regex> splits) => _splits = [.. splits];

    public IReadOnlyList<Regex> Splits => _splits;

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? [] : Split(text);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) =>
        text.IsEmpty ? [] : Split(text);

    private List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var proxy = AstralProxyText.Create(text);
        string p = proxy.Proxy;
        var pieces = new List<(int Start, int End)> { (0, p.Length) };
        foreach (var regex in _splits)
        {
            var next = new List<(int Start, int End)>(pieces.Count * 2);
            foreach (var (start, end) in pieces)
            {
                int last = start;
                var m = regex.Match(p, start, end - start);
                while (m.Success)
                {
                    if (m.Length == 0) { m = m.NextMatch(); continue; }
                    if (m.Index > last) next.Add((last, m.Index));
                    next.Add((m.Index, m.Index + m.Length));
                    last = m.Index + m.Length;
                    m = m.NextMatch();
                }
                if (last < end) next.Add((last, end));
            }
            pieces = next;
        }
        var result = new List<(int Offset, int Length)>(pieces.Count);
        foreach (var (start, end) in pieces)
        {
            int s = proxy.ToOriginal(start);
            result.Add((s, proxy.ToOriginal(end) - s));
        }
        return result;
    }
}
