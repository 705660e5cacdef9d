namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>The object <c>namespace(a=1, ...)</c> makes: attributes that <c>{% set ns.a = ... %}</c> can change from inside loops.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
