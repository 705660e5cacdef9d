namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>The template text, for turning offsets into line and column in error messages.</summary>
internal sealed class JinjaSource(string text)
{
    public string Text { get; } = text;

    public (int Line, int Column) Position(int offset)
    {
        int line = 1, column = 1;
        for (int i = 0; i < offset && i < Text.Length; i++)
        {
            if (Text[i] == '\n') { line++; column = 1; }
            else column++;
        }
        return (line, column);
    }

    public JinjaException Error(int offset, string message)
    {
        var (line, column) = Position(offset);
        return new JinjaException(message, line, column);
    }
}
