using System.Globalization;
using System.Text;

namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>
/// Splits a template into text and tag tokens with Jinja's whitespace control: "{%-"/"-%}" strip whitespace
/// on that side, and, as Hugging Face configures Jinja for chat templates, trim_blocks (drop the newline after
/// a block tag) and lstrip_blocks (drop spaces and tabs before a block tag on its own line). "+" turns those off.
/// </summary>
internal sealed class JinjaLexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", "<", ">"];

    private readonly JinjaSource _source;
    private readonly string _s;
    private readonly bool _trimBlocks;
    private readonly bool _lstripBlocks;
    private readonly List<JinjaToken> _tokens = [];
    private int _pos;
    private bool _closedWithPlus;   // the last tag ended with "+%}": no trim_blocks after it

    public JinjaLexer(JinjaSource source, bool trimBlocks = true, bool lstripBlocks = true)
    {
        _source = source;
        _s = source.Text;
        _trimBlocks = trimBlocks;
        _lstripBlocks = lstripBlocks;
    }

    public List<JinjaToken> Tokenize()
    {
        var text = new StringBuilder();
        int textStart = 0;
        while (_pos < _s.Length)
        {
            int open = FindTagStart(_pos);
            if (open < 0)
            {
                text.Append(_s, _pos, _s.Length - _pos);
                _pos = _s.Length;
                break;
            }
            text.Append(_s, _pos, open - _pos);
            char kind = _s[open + 1];           // '{', '%' or '#'
            char modifier = open + 2 < _s.Length ? _s[open + 2] : '\0';
            if (modifier == '-') TrimEndWhitespace(text);
            else if (modifier != '+' && kind != '{' && _lstripBlocks) TrimLineIndent(text, open);
            if (text.Length > 0) _tokens.Add(new JinjaToken(JinjaTokenKind.Text, text.ToString(), textStart));
            text.Clear();
            _pos = open + 2 + (modifier is '-' or '+' ? 1 : 0);

            bool stripAfter;
            _closedWithPlus = false;
            if (kind == '#') stripAfter = SkipComment(open);
            else
            {
                _tokens.Add(new JinjaToken(kind == '{' ? JinjaTokenKind.VarBegin : JinjaTokenKind.BlockBegin, "", open));
                stripAfter = LexTag(kind == '{' ? '}' : '%', open);
            }
            if (stripAfter) SkipWhitespace();
            else if (kind != '{' && _trimBlocks && !_closedWithPlus) SkipOneNewline();
            textStart = _pos;
        }
        if (text.Length > 0) _tokens.Add(new JinjaToken(JinjaTokenKind.Text, text.ToString(), textStart));
        _tokens.Add(new JinjaToken(JinjaTokenKind.Eof, "", _s.Length));
        return _tokens;
    }

    private int FindTagStart(int from)
    {
        for (int i = from; i + 1 < _s.Length; i++)
        {
            if (_s[i] == '{' && _s[i + 1] is '{' or '%' or '#') return i;
        }
        return -1;
    }

    private static void TrimEndWhitespace(StringBuilder text)
    {
        int n = text.Length;
        while (n > 0 && char.IsWhiteSpace(text[n - 1])) n--;
        text.Length = n;
    }

    // lstrip_blocks: spaces/tabs between the start of the line and a block tag are removed.
    private void TrimLineIndent(StringBuilder text, int tagStart)
    {
        int i = tagStart;
        while (i > 0 && _s[i - 1] is ' ' or '\t') i--;
        if (i > 0 && _s[i - 1] != '\n') return;
        int strip = tagStart - i;
        if (strip > text.Length) strip = text.Length;
        text.Length -= strip;
    }

    private void SkipWhitespace()
    {
        while (_pos < _s.Length && char.IsWhiteSpace(_s[_pos])) _pos++;
    }

    private void SkipOneNewline()
    {
        if (_pos < _s.Length && _s[_pos] == '\n') _pos++;
        else if (_pos + 1 < _s.Length && _s[_pos] == '\r' && _s[_pos + 1] == '\n') _pos += 2;
    }

    /// <summary>Skips a comment; returns whether it ended with "-#}".</summary>
    private bool SkipComment(int open)
    {
        int close = _s.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (close < 0) throw _source.Error(open, "comment '{#' is never closed with '#}'");
        bool strip = close > _pos && _s[close - 1] == '-';
        _pos = close + 2;
        return strip;
    }

    /// <summary>Lexes the inside of {{ }} or {% %}; returns whether it ended with "-}}" / "-%}".</summary>
    private bool LexTag(char closeChar, int open)
    {
        JinjaTokenKind endKind = closeChar == '}' ? JinjaTokenKind.VarEnd : JinjaTokenKind.BlockEnd;
        while (true)
        {
            while (_pos < _s.Length && char.IsWhiteSpace(_s[_pos])) _pos++;
            if (_pos >= _s.Length)
                throw _source.Error(open, $"tag '{{{(closeChar == '}' ? '{' : '%')}' is never closed");
            char c = _s[_pos];
            if ((c is '-' or '+') && At(_pos + 1, closeChar, '}'))
            {
                _tokens.Add(new JinjaToken(endKind, "", _pos));
                _pos += 3;
                _closedWithPlus = c == '+';
                return c == '-';
            }
            if (At(_pos, closeChar, '}') && !(closeChar == '}' && OpenBraces() > 0))
            {
                _tokens.Add(new JinjaToken(endKind, "", _pos));
                _pos += 2;
                return false;
            }
            if (c is '\'' or '"') LexString();
            else if (char.IsAsciiDigit(c)) LexNumber();
            else if (char.IsAsciiLetter(c) || c == '_') LexName();
            else LexOperator();
        }
    }

    private bool At(int i, char a, char b) => i + 1 < _s.Length && _s[i] == a && _s[i + 1] == b;

    // Braces of dict literals opened inside the current {{ }} and not yet closed, so "}}" can close one.
    private int OpenBraces()
    {
        int depth = 0;
        for (int i = _tokens.Count - 1; i >= 0 && _tokens[i].Kind != JinjaTokenKind.VarBegin; i--)
        {
            if (_tokens[i].IsOp("{")) depth++;
            else if (_tokens[i].IsOp("}")) depth--;
        }
        return depth;
    }

    private void LexString()
    {
        int start = _pos;
        char quote = _s[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _s.Length) throw _source.Error(start, "string literal is never closed");
            char c = _s[_pos++];
            if (c == quote) break;
            if (c != '\\' || _pos >= _s.Length) { sb.Append(c); continue; }
            char e = _s[_pos++];
            sb.Append(e switch
            {
                'n' => "\n",
                't' => "\t",
                'r' => "\r",
                '\\' => "\\",
                '\'' => "'",
                '"' => "\"",
                _ => "\\" + e,
            });
        }
        _tokens.Add(new JinjaToken(JinjaTokenKind.String, sb.ToString(), start));
    }

    private void LexNumber()
    {
        int start = _pos;
        while (_pos < _s.Length && (char.IsAsciiDigit(_s[_pos]) || _s[_pos] == '_')) _pos++;
        bool isFloat = _pos + 1 < _s.Length && _s[_pos] == '.' && char.IsAsciiDigit(_s[_pos + 1]);
        if (isFloat)
        {
            _pos++;
            while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos])) _pos++;
        }
        string digits = _s[start.._pos].Replace("_", "");
        _ = isFloat ? double.Parse(digits, CultureInfo.InvariantCulture) : long.Parse(digits, CultureInfo.InvariantCulture);
        _tokens.Add(new JinjaToken(isFloat ? JinjaTokenKind.Float : JinjaTokenKind.Integer, digits, start));
    }

    private void LexName()
    {
        int start = _pos;
        while (_pos < _s.Length && (char.IsAsciiLetterOrDigit(_s[_pos]) || _s[_pos] == '_')) _pos++;
        _tokens.Add(new JinjaToken(JinjaTokenKind.Name, _s[start.._pos], start));
    }

    private void LexOperator()
    {
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_s, _pos, op, 0, op.Length) == 0)
            {
                _tokens.Add(new JinjaToken(JinjaTokenKind.Operator, op, _pos));
                _pos += op.Length;
                return;
            }
        }
        throw _source.Error(_pos, $"unexpected character '{_s[_pos]}' in tag");
    }
}
