using System.Collections;
using System.Globalization;
using System.Text;

namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>
/// Python semantics for template values. Values are null (None), bool, long, double, string,
/// List&lt;object?&gt;, Dictionary&lt;string, object?&gt;, <see cref="JinjaNamespace"/>, <see cref="JinjaLoop"/> or <see cref="JinjaUndefined"/>.
/// </summary>
internal static class JinjaValues
{
    /// <summary>Converts caller-supplied .NET values (int, arrays, read-only dictionaries, records) into template values.</summary>
    public static object? FromDotNet(object? value) => value switch
    {
        null or bool or long or double or string => value,
        int i => (long)i,
        float f => (double)f,
        ChatMessage m => new Dictionary<string, object?>(StringComparer.Ordinal) { ["role"] = m.Role, ["content"] = m.Content },
        IReadOnlyDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromDotNet(kv.Value), StringComparer.Ordinal),
        IDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromDotNet(kv.Value), StringComparer.Ordinal),
        IEnumerable e => e.Cast<object?>().Select(FromDotNet).ToList(),
        _ => throw new DssException($"chat template: values of type {value.GetType().Name} cannot be passed to a template"),
    };

    public static bool IsTrue(object? v) => v switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    /// <summary>Python's str(): what {{ value }} prints.</summary>
    public static string ToStr(object? v) => v switch
    {
        string s => s,
        JinjaUndefined => "",
        _ => Repr(v),
    };

    /// <summary>Python's repr(), used for values inside printed lists and dicts.</summary>
    public static string Repr(object? v)
    {
        switch (v)
        {
            case null: return "None";
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return FormatFloat(d);
            case string s: return "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'";
            case JinjaUndefined: return "";
            case List<object?> list: return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case Dictionary<string, object?> dict:
                return "{" + string.Join(", ", dict.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case JinjaNamespace ns: return "<Namespace " + Repr(ns.Attributes) + ">";
            default: return v.ToString() ?? "";
        }
    }

    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E')) return s.Replace("E", "e");
        return s.Contains('.') ? s : s + ".0";
    }

    public static string TypeName(object? v) => v switch
    {
        null => "None",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        JinjaNamespace => "namespace",
        JinjaLoop => "loop",
        JinjaUndefined u => $"undefined ({u.Description})",
        _ => v.GetType().Name,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidCastException(),
    };

    /// <summary>Python ==.</summary>
    public static bool AreEqual(object? a, object? b)
    {
        if (a is JinjaUndefined || b is JinjaUndefined) return a is JinjaUndefined && b is JinjaUndefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        if (a is string sa && b is string sb) return sa == sb;
        if (a is List<object?> la && b is List<object?> lb) return la.Count == lb.Count && la.Zip(lb).All(p => AreEqual(p.First, p.Second));
        if (a is Dictionary<string, object?> da && b is Dictionary<string, object?> db)
            return da.Count == db.Count && da.All(kv => db.TryGetValue(kv.Key, out var o) && AreEqual(kv.Value, o));
        return ReferenceEquals(a, b);
    }

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new InvalidCastException(),
    };

    /// <summary>Python's &lt; &gt; ordering for numbers and strings; null when the types cannot be ordered.</summary>
    public static int? Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a).CompareTo(ToDouble(b));
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        return null;
    }

    /// <summary>Python's len(): code points for strings, items for lists and dicts.</summary>
    public static int? Length(object? v) => v switch
    {
        string s => s.EnumerateRunes().Count(),
        List<object?> l => l.Count,
        Dictionary<string, object?> d => d.Count,
        _ => null,
    };

    /// <summary>json.dumps(value, ensure_ascii=False, indent=indent) as Hugging Face's tojson filter calls it.</summary>
    public static string ToJson(object? v, int? indent, bool sortKeys = false)
    {
        var sb = new StringBuilder();
        WriteJson(sb, v, indent, 0, sortKeys);
        return sb.ToString();
    }

    private static void WriteJson(StringBuilder sb, object? v, int? indent, int depth, bool sortKeys)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(double.IsFinite(d) ? FormatFloat(d) : d > 0 ? "Infinity" : d < 0 ? "-Infinity" : "NaN"); break;
            case string s: WriteJsonString(sb, s); break;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list.Count, indent, depth, i => WriteJson(sb, list[i], indent, depth + 1, sortKeys));
                break;
            case Dictionary<string, object?> dict:
                var entries = sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                WriteContainer(sb, '{', '}', entries.Count, indent, depth, i =>
                {
                    WriteJsonString(sb, entries[i].Key);
                    sb.Append(": ");
                    WriteJson(sb, entries[i].Value, indent, depth + 1, sortKeys);
                });
                break;
            case JinjaNamespace ns: WriteJson(sb, ns.Attributes, indent, depth, sortKeys); break;
            default: throw new DssException($"chat template: a value of type {TypeName(v)} cannot be written as JSON");
        }
    }

    private static void WriteContainer(StringBuilder sb, char open, char close, int count, int? indent, int depth, Action<int> item)
    {
        sb.Append(open);
        if (count == 0) { sb.Append(close); return; }
        for (int i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(indent is null ? ", " : ",");
            if (indent is int n) sb.Append('\n').Append(' ', n * (depth + 1));
            item(i);
        }
        if (indent is int m) sb.Append('\n').Append(' ', m * depth);
        sb.Append(close);
    }

    private static void WriteJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
