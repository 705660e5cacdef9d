namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>
/// A parsed Jinja template (the subset chat templates use), rendered with Hugging Face's settings:
/// trim_blocks and lstrip_blocks on, undefined values print as "", <c>raise_exception</c> available.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly JinjaSource _source;
    private readonly IReadOnlyList<JinjaNode> _nodes;

    private JinjaTemplate(JinjaSource source, IReadOnlyList<JinjaNode> nodes)
    {
        _source = source;
        _nodes = nodes;
    }

    /// <summary>
    /// Parses a template; a syntax error or an unsupported construct is a <see cref="JinjaException"/>.
    /// As in Jinja (keep_trailing_newline off), one newline at the very end of the template is dropped.
    /// </summary>
    public static JinjaTemplate Parse(string text, bool trimBlocks = true, bool lstripBlocks = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.EndsWith("\r\n", StringComparison.Ordinal)) text = text[..^2];
        else if (text.EndsWith('\n')) text = text[..^1];
        var source = new JinjaSource(text);
        var tokens = new JinjaLexer(source, trimBlocks, lstripBlocks).Tokenize();
        return new JinjaTemplate(source, new JinjaParser(source, tokens).ParseTemplate());
    }

    /// <summary>
    /// Renders with the given variables: strings, bools, numbers, null, lists (any IEnumerable) and
    /// string-keyed dictionaries, nested freely, and <see cref="ChatMessage"/> records.
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var scope = new JinjaScope(null);
        foreach (var (name, value) in variables) scope.Set(name, JinjaValues.FromDotNet(value));
        return new JinjaRenderer(_source).Render(_nodes, scope);
    }
}
