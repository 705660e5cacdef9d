namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>A template that cannot be parsed or rendered: names the construct and where it is.</summary>
public sealed class JinjaException : DssException
{
    public int Line { get; }
    public int Column { get; }

    public JinjaException(string message, int line, int column)
        : base(line > 0 ? $"chat template line {line}, column {column}: {message}" : $"chat template: {message}")
    {
        Line = line;
        Column = column;
    }
}

/// <summary>Raised by the template itself through <c>raise_exception(message)</c>.</summary>
public sealed class JinjaRaisedException : DssException
{
    public JinjaRaisedException(string message) : base($"chat template raised an error: {message}") { }
}
