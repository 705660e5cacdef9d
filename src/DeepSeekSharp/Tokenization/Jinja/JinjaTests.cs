namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>The tests (<c>value is [not] name</c>) chat templates use.</summary>
internal static class JinjaTests
{
    public static bool Apply(string name, object? value, JinjaCallArgs args) => name switch
    {
        "defined" => value is not JinjaUndefined,
        "undefined" => value is JinjaUndefined,
        "none" => value is null,
        "string" => value is string,
        "number" => value is long or double,
        "integer" => value is long,
        "float" => value is double,
        "boolean" => value is bool,
        "true" => value is true,
        "false" => value is false,
        "mapping" => value is Dictionary<string, object?> or JinjaNamespace,
        "sequence" or "iterable" => value is List<object?> or string or Dictionary<string, object?>,
        "even" => value is long l && l % 2 == 0,
        "odd" => value is long o && o % 2 != 0,
        "equalto" or "eq" or "sameas" => JinjaValues.AreEqual(value, args.Get(0, "other")),
        _ => throw args.Error($"test '{name}' is not supported by this Jinja subset"),
    };
}
