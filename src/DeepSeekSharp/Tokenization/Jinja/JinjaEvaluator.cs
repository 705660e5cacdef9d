namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>Evaluates expressions with Python semantics; errors name the operation and its position.</summary>
internal sealed class JinjaEvaluator(JinjaSource source)
{
    public object? Evaluate(JinjaExpr expr, JinjaScope scope)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                return scope.TryGet(n.Name, out var v) ? v : new JinjaUndefined($"'{n.Name}'");
            case ListExpr list:
                return list.Items.Select(i => Evaluate(i, scope)).ToList();
            case DictExpr dict:
                var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, val) in dict.Items)
                {
                    d[Evaluate(k, scope) as string ?? throw Error(k, "dict keys must be strings")] = Evaluate(val, scope);
                }
                return d;
            case AttributeExpr a:
                return GetAttribute(Evaluate(a.Target, scope), a.Name, a);
            case IndexExpr i:
                return GetItem(Evaluate(i.Target, scope), Evaluate(i.Index, scope), i);
            case SliceExpr s:
                return Slice(s, scope);
            case CallExpr c:
                return Call(c, scope);
            case FilterExpr f:
                return JinjaFilters.Apply(f.Name, Evaluate(f.Value, scope), EvaluateArgs(f.Args, scope, "filter " + f.Name, f));
            case TestExpr t:
                bool result = JinjaTests.Apply(t.Name, Evaluate(t.Value, scope), EvaluateArgs(t.Args, scope, "test " + t.Name, t));
                return t.Negated ? !result : result;
            case UnaryExpr u:
                return Unary(u, scope);
            case BinaryExpr b:
                return Binary(b, scope);
            case ConditionalExpr c:
                if (JinjaValues.IsTrue(Evaluate(c.Condition, scope))) return Evaluate(c.Then, scope);
                return c.Otherwise is null ? new JinjaUndefined("conditional without else") : Evaluate(c.Otherwise, scope);
            default:
                throw Error(expr, $"expression {expr.GetType().Name} cannot be evaluated");
        }
    }

    private object? GetAttribute(object? target, string name, JinjaExpr at) => target switch
    {
        JinjaUndefined u => throw Error(at, $"{u.Description} is undefined, so it has no attribute '{name}'"),
        Dictionary<string, object?> d => d.TryGetValue(name, out var v) ? v : new JinjaUndefined($"attribute '{name}'"),
        JinjaNamespace ns => ns.Attributes.TryGetValue(name, out var v) ? v : new JinjaUndefined($"namespace attribute '{name}'"),
        JinjaLoop loop => loop.Get(name),
        _ => new JinjaUndefined($"attribute '{name}' of {JinjaValues.TypeName(target)}"),
    };

    private object? GetItem(object? target, object? index, JinjaExpr at)
    {
        switch (target)
        {
            case JinjaUndefined u:
                throw Error(at, $"{u.Description} is undefined, so it cannot be indexed with {JinjaValues.Repr(index)}");
            case Dictionary<string, object?> d:
                return index is string key && d.TryGetValue(key, out var v) ? v : new JinjaUndefined($"key {JinjaValues.Repr(index)}");
            case JinjaNamespace or JinjaLoop when index is string name:
                return GetAttribute(target, name, at);
            case List<object?> list when index is long or bool:
                long i = JinjaValues.ToLong(index);
                if (i < 0) i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : new JinjaUndefined($"index {index} of a list of {list.Count}");
            case string s when index is long or bool:
                var runes = s.EnumerateRunes().ToList();
                long j = JinjaValues.ToLong(index);
                if (j < 0) j += runes.Count;
                return j >= 0 && j < runes.Count ? runes[(int)j].ToString() : new JinjaUndefined($"index {index} of a string");
            default:
                throw Error(at, $"{JinjaValues.TypeName(target)} cannot be indexed with {JinjaValues.TypeName(index)}");
        }
    }

    private object? Slice(SliceExpr s, JinjaScope scope)
    {
        var target = Evaluate(s.Target, scope);
        long? Bound(JinjaExpr? e) => e is null ? null : Evaluate(e, scope) switch
        {
            null => null,
            long or bool => JinjaValues.ToLong(Evaluate(e, scope)),
            var v => throw Error(e, $"slice bounds must be integers, not {JinjaValues.TypeName(v)}"),
        };
        long? start = Bound(s.Start), stop = Bound(s.Stop), step = Bound(s.Step);
        List<object?> items = target switch
        {
            List<object?> l => l,
            string str => str.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(),
            _ => throw Error(s, $"{JinjaValues.TypeName(target)} cannot be sliced"),
        };
        var picked = PythonSlice(items, start, stop, step ?? 1, s);
        return target is string ? string.Concat(picked.Select(x => (string)x!)) : picked;
    }

    private List<object?> PythonSlice(List<object?> items, long? start, long? stop, long step, JinjaExpr at)
    {
        if (step == 0) throw Error(at, "slice step cannot be zero");
        int n = items.Count;
        long Clamp(long v, long lo, long hi) => Math.Max(lo, Math.Min(hi, v < 0 ? v + n : v));
        var result = new List<object?>();
        if (step > 0)
        {
            long a = start is null ? 0 : Clamp(start.Value, 0, n), b = stop is null ? n : Clamp(stop.Value, 0, n);
            for (long i = a; i < b; i += step) result.Add(items[(int)i]);
        }
        else
        {
            long a = start is null ? n - 1 : Clamp(start.Value, -1, n - 1), b = stop is null ? -1 : Clamp(stop.Value, -1, n - 1);
            for (long i = a; i > b; i += step) result.Add(items[(int)i]);
        }
        return result;
    }

    private object? Call(CallExpr c, JinjaScope scope)
    {
        if (c.Callee is AttributeExpr method)
        {
            var target = Evaluate(method.Target, scope);
            if (target is JinjaUndefined u) throw Error(c, $"{u.Description} is undefined, so '{method.Name}()' cannot be called on it");
            return JinjaMethods.Call(target, method.Name, EvaluateArgs(c.Args, scope, method.Name, method));
        }
        if (c.Callee is not NameExpr function) throw Error(c, "only functions and methods can be called");
        var args = EvaluateArgs(c.Args, scope, function.Name, function);
        switch (function.Name)
        {
            case "namespace":
                var ns = new JinjaNamespace();
                if (args.Count > 0) throw Error(function, "namespace() takes keyword arguments only");
                foreach (var (k, v) in args.Keywords) ns.Attributes[k] = v;
                return ns;
            case "dict":
                return args.Keywords.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            case "raise_exception":
                throw new JinjaRaisedException(JinjaValues.ToStr(args.Get(0, "message", "")));
            case "range":
                long a = JinjaValues.ToLong(args.Get(0, "start", 0L));
                long? b = args.Count > 1 ? JinjaValues.ToLong(args.Get(1, "stop")) : null;
                long step = JinjaValues.ToLong(args.Get(2, "step", 1L));
                if (step == 0) throw Error(function, "range() step cannot be zero");
                var (from, to) = b is null ? (0L, a) : (a, b.Value);
                if (Math.Abs((to - from) / step) > 1_000_000) throw Error(function, "range() is too long");
                var list = new List<object?>();
                for (long i = from; step > 0 ? i < to : i > to; i += step) list.Add(i);
                return list;
            default:
                throw Error(function, $"function '{function.Name}' is not supported by this Jinja subset");
        }
    }

    private JinjaCallArgs EvaluateArgs(JinjaArgs args, JinjaScope scope, string name, JinjaExpr at)
    {
        var positional = args.Positional.Select(a => Evaluate(a, scope)).ToList();
        var keywords = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in args.Keywords) keywords[k] = Evaluate(v, scope);
        return new JinjaCallArgs(positional, keywords, name, m => Error(at, m));
    }

    private object? Unary(UnaryExpr u, JinjaScope scope)
    {
        var v = Evaluate(u.Operand, scope);
        return u.Op switch
        {
            "not" => !JinjaValues.IsTrue(v),
            "-" when v is long l => -l,
            "-" when v is double d => -d,
            "+" when v is long or double => v,
            _ => throw Error(u, $"unary '{u.Op}' is not defined for {JinjaValues.TypeName(v)}"),
        };
    }

    private object? Binary(BinaryExpr b, JinjaScope scope)
    {
        if (b.Op == "and")
        {
            var left = Evaluate(b.Left, scope);
            return JinjaValues.IsTrue(left) ? Evaluate(b.Right, scope) : left;
        }
        if (b.Op == "or")
        {
            var left = Evaluate(b.Left, scope);
            return JinjaValues.IsTrue(left) ? left : Evaluate(b.Right, scope);
        }
        var x = Evaluate(b.Left, scope);
        var y = Evaluate(b.Right, scope);
        switch (b.Op)
        {
            case "==": return JinjaValues.AreEqual(x, y);
            case "!=": return !JinjaValues.AreEqual(x, y);
            case "<" or ">" or "<=" or ">=":
                int cmp = JinjaValues.Compare(x, y)
                    ?? throw Error(b, $"'{b.Op}' is not defined between {JinjaValues.TypeName(x)} and {JinjaValues.TypeName(y)}");
                return b.Op switch { "<" => cmp < 0, ">" => cmp > 0, "<=" => cmp <= 0, _ => cmp >= 0 };
            case "in": return Contains(y, x, b);
            case "not in": return !Contains(y, x, b);
            case "~": return JinjaValues.ToStr(x) + JinjaValues.ToStr(y);
            case "+":
                if (x is string sx && y is string sy) return sx + sy;
                if (x is List<object?> lx && y is List<object?> ly) return lx.Concat(ly).ToList();
                return Arithmetic(b, x, y);
            case "*":
                if (x is string rep && y is long times) return string.Concat(Enumerable.Repeat(rep, (int)Math.Max(0, times)));
                return Arithmetic(b, x, y);
            default:
                return Arithmetic(b, x, y);
        }
    }

    private object? Arithmetic(BinaryExpr b, object? x, object? y)
    {
        if (!JinjaValues.IsNumber(x) || !JinjaValues.IsNumber(y))
            throw Error(b, $"'{b.Op}' is not defined between {JinjaValues.TypeName(x)} and {JinjaValues.TypeName(y)}");
        bool integers = x is not double && y is not double;
        if (integers)
        {
            long a = JinjaValues.ToLong(x), c = JinjaValues.ToLong(y);
            if (c == 0 && b.Op is "/" or "//" or "%") throw Error(b, "division by zero");
            switch (b.Op)
            {
                case "+": return a + c;
                case "-": return a - c;
                case "*": return a * c;
                case "/": return (double)a / c;
                case "//": return (long)Math.Floor((double)a / c);
                case "%": return ((a % c) + c) % c;
                case "**" when c >= 0: return (long)Math.Pow(a, c);
            }
        }
        double p = JinjaValues.ToDouble(x), q = JinjaValues.ToDouble(y);
        if (q == 0 && b.Op is "/" or "//" or "%") throw Error(b, "division by zero");
        return b.Op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "/" => p / q,
            "//" => Math.Floor(p / q),
            "%" => p - q * Math.Floor(p / q),
            "**" => Math.Pow(p, q),
            _ => throw Error(b, $"operator '{b.Op}' is not supported by this Jinja subset"),
        };
    }

    private bool Contains(object? container, object? item, JinjaExpr at) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        List<object?> l => l.Any(x => JinjaValues.AreEqual(x, item)),
        Dictionary<string, object?> d => item is string key && d.ContainsKey(key),
        JinjaUndefined u => throw Error(at, $"{u.Description} is undefined, so 'in' cannot look inside it"),
        _ => throw Error(at, $"'in' is not defined for {JinjaValues.TypeName(item)} in {JinjaValues.TypeName(container)}"),
    };

    private JinjaException Error(JinjaExpr at, string message) => source.Error(at.Offset, message);
}
