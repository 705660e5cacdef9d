using System.Text;

namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>The filters (<c>value | name(args)</c>) chat templates use.</summary>
internal static class JinjaFilters
{
    public static object? Apply(string name, object? value, JinjaCallArgs args)
    {
        switch (name)
        {
            case "default":
            case "d":
                bool boolean = JinjaValues.IsTrue(args.Get(1, "boolean", false));
                return value is JinjaUndefined || (boolean && !JinjaValues.IsTrue(value)) ? args.Get(0, "default_value", "") : value;
            case "length":
            case "count":
                return (long)(JinjaValues.Length(value) ?? throw args.Error($"'{name}' filter needs a string, list or dict, not {JinjaValues.TypeName(value)}"));
            case "tojson":
                object? indent = args.Get(0, "indent");
                return JinjaValues.ToJson(value, indent is null ? null : (int)JinjaValues.ToLong(indent), JinjaValues.IsTrue(args.Keywords.GetValueOrDefault("sort_keys")));
            case "string":
                return JinjaValues.ToStr(value);
            case "list":
                return JinjaIteration.ToList(value, args.Error);
            case "items":
                return value is Dictionary<string, object?> d
                    ? d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()
                    : throw args.Error($"'items' filter needs a dict, not {JinjaValues.TypeName(value)}");
            case "first":
            case "last":
                var items = JinjaIteration.ToList(value, args.Error);
                return items.Count == 0 ? new JinjaUndefined($"{name} of an empty sequence") : name == "first" ? items[0] : items[^1];
            case "reverse":
                if (value is string rs) return new string(rs.Reverse().ToArray());
                var rev = JinjaIteration.ToList(value, args.Error);
                rev.Reverse();
                return rev;
            case "unique":
                var unique = new List<object?>();
                foreach (var u in JinjaIteration.ToList(value, args.Error))
                    if (!unique.Any(x => JinjaValues.AreEqual(x, u))) unique.Add(u);
                return unique;
            case "join":
                string sep = args.Get(0, "d", "") as string ?? "";
                return string.Join(sep, JinjaIteration.ToList(value, args.Error).Select(JinjaValues.ToStr));
            case "int":
                return value switch
                {
                    long or bool or double => JinjaValues.ToLong(value),
                    string s when long.TryParse(s.Trim(), out long l) => l,
                    _ => JinjaValues.ToLong(args.Get(0, "default", 0L)),
                };
            case "float":
                return value switch
                {
                    long or bool or double => JinjaValues.ToDouble(value),
                    string s when double.TryParse(s.Trim(), System.Globalization.CultureInfo.InvariantCulture, out double parsed) => parsed,
                    _ => JinjaValues.ToDouble(args.Get(0, "default", 0.0)),
                };
            case "abs":
                return value switch
                {
                    long l => Math.Abs(l),
                    double x => Math.Abs(x),
                    _ => throw args.Error($"'abs' filter needs a number, not {JinjaValues.TypeName(value)}"),
                };
            default:
                // The string filters behave like the string methods of the same name.
                string text = value is string str ? str : JinjaValues.ToStr(value);
                return name switch
                {
                    "trim" => JinjaMethods.Call(text, "strip", args),
                    "upper" or "lower" or "replace" or "split" or "title" or "capitalize" => JinjaMethods.Call(text, name, args),
                    _ => throw args.Error($"filter '{name}' is not supported by this Jinja subset"),
                };
        }
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool start = true;
        foreach (char c in s)
        {
            sb.Append(start ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            start = !char.IsLetter(c);
        }
        return sb.ToString();
    }
}
