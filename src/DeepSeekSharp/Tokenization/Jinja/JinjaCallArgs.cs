namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>Evaluated arguments of a filter, test, method or function call.</summary>
internal sealed class JinjaCallArgs(List<object?> positional, Dictionary<string, object?> keywords, string callName, Func<string, JinjaException> error)
{
    public static JinjaCallArgs Empty(string callName, Func<string, JinjaException> error) => new([], [], callName, error);

    public int Count => positional.Count;
    public IReadOnlyDictionary<string, object?> Keywords => keywords;

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null) =>
        index < positional.Count ? positional[index] : keywords.TryGetValue(name, out var v) ? v : fallback;

    public string GetString(int index, string name, string? fallback = null) =>
        Get(index, name, fallback) switch
        {
            string s => s,
            null when fallback is null => throw error($"{callName}() needs a string argument '{name}'"),
            var v => throw error($"{callName}() argument '{name}' must be a string, not {JinjaValues.TypeName(v)}"),
        };

    public void AtMost(int count)
    {
        if (positional.Count > count) throw error($"{callName}() takes at most {count} positional argument(s), got {positional.Count}");
    }

    public JinjaException Error(string message) => error(message);
}
