namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>The Python methods templates call on values: str.startswith/split/strip/..., dict.get/items/keys/values.</summary>
internal static class JinjaMethods
{
    public static object? Call(object? target, string name, JinjaCallArgs args) => target switch
    {
        string s => CallString(s, name, args),
        Dictionary<string, object?> d => CallDict(d, name, args),
        _ => throw args.Error($"method '{name}' of {JinjaValues.TypeName(target)} is not supported by this Jinja subset"),
    };

    private static object? CallString(string s, string name, JinjaCallArgs args)
    {
        switch (name)
        {
            case "startswith":
            case "endswith":
                var prefixes = args.Get(0, "prefix") switch
                {
                    string p => [p],
                    List<object?> l => l.Select(x => x as string ?? throw args.Error($"{name}() needs strings")).ToList(),
                    var v => throw args.Error($"{name}() needs a string or a tuple of strings, not {JinjaValues.TypeName(v)}"),
                };
                return name == "startswith"
                    ? prefixes.Any(p => s.StartsWith(p, StringComparison.Ordinal))
                    : prefixes.Any(p => s.EndsWith(p, StringComparison.Ordinal));
            case "strip":
            case "lstrip":
            case "rstrip":
                args.AtMost(1);
                var chars = args.Get(0, "chars") is string c ? c.ToCharArray() : null;
                return (name, chars) switch
                {
                    ("strip", null) => s.Trim(),
                    ("lstrip", null) => s.TrimStart(),
                    ("rstrip", null) => s.TrimEnd(),
                    ("strip", _) => s.Trim(chars),
                    ("lstrip", _) => s.TrimStart(chars),
                    _ => s.TrimEnd(chars),
                };
            case "split":
                return Split(s, args.Get(0, "sep") as string, (int)JinjaValues.ToLong(args.Get(1, "maxsplit", -1L)), args);
            case "upper": return s.ToUpperInvariant();
            case "lower": return s.ToLowerInvariant();
            case "title": return JinjaFilters.Title(s);
            case "capitalize": return JinjaFilters.Capitalize(s);
            case "replace":
                string old = args.GetString(0, "old");
                if (old.Length == 0) throw args.Error("replace() with an empty search string is not supported");
                return s.Replace(old, args.GetString(1, "new"), StringComparison.Ordinal);
            case "find":
                return (long)s.IndexOf(args.GetString(0, "sub"), StringComparison.Ordinal);
            default:
                throw args.Error($"string method '{name}' is not supported by this Jinja subset");
        }
    }

    // Python's str.split: with no separator, splits on runs of whitespace and drops empty parts.
    private static List<object?> Split(string s, string? sep, int maxSplit, JinjaCallArgs args)
    {
        if (sep is null)
        {
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxSplit < 0 || words.Length <= maxSplit + 1) return words.Select(w => (object?)w).ToList();
            var parts = s.TrimStart().Split((char[]?)null, maxSplit + 1, StringSplitOptions.RemoveEmptyEntries);
            return parts.Select(w => (object?)w).ToList();
        }
        if (sep.Length == 0) throw args.Error("split() with an empty separator");
        var result = maxSplit < 0 ? s.Split(sep) : s.Split(sep, maxSplit + 1);
        return result.Select(w => (object?)w).ToList();
    }

    private static object? CallDict(Dictionary<string, object?> d, string name, JinjaCallArgs args)
    {
        switch (name)
        {
            case "get":
                return d.TryGetValue(args.GetString(0, "key"), out var v) ? v : args.Get(1, "default");
            case "items":
                return d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList();
            case "keys":
                return d.Keys.Select(k => (object?)k).ToList();
            case "values":
                return d.Values.ToList();
            default:
                throw args.Error($"dict method '{name}' is not supported by this Jinja subset");
        }
    }
}
