namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>What a for loop or a sequence filter walks over: list items, dict keys, string characters; undefined is empty.</summary>
internal static class JinjaIteration
{
    public static List<object?> ToList(object? value, Func<string, JinjaException> error) => value switch
    {
        List<object?> l => l,
        Dictionary<string, object?> d => d.Keys.Select(k => (object?)k).ToList(),
        string s => s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(),
        JinjaUndefined => [],
        _ => throw error($"a value of type {JinjaValues.TypeName(value)} cannot be iterated"),
    };
}
