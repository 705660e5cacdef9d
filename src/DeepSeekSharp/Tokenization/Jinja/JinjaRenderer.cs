using System.Text;

namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>Executes parsed statements into output text.</summary>
internal sealed class JinjaRenderer
{
    private readonly JinjaSource _source;
    private readonly JinjaEvaluator _eval;
    private readonly StringBuilder _out = new();

    private enum Flow { Normal, Break, Continue }

    public JinjaRenderer(JinjaSource source)
    {
        _source = source;
        _eval = new JinjaEvaluator(source);
    }

    public string Render(IReadOnlyList<JinjaNode> nodes, JinjaScope scope)
    {
        var flow = Run(nodes, scope);
        if (flow != Flow.Normal) throw _source.Error(0, $"'{{% {flow.ToString().ToLowerInvariant()} %}}' outside a loop");
        return _out.ToString();
    }

    private Flow Run(IReadOnlyList<JinjaNode> nodes, JinjaScope scope)
    {
        foreach (var node in nodes)
        {
            var flow = Run(node, scope);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Run(JinjaNode node, JinjaScope scope)
    {
        switch (node)
        {
            case TextNode t:
                _out.Append(t.Text);
                return Flow.Normal;
            case OutputNode o:
                _out.Append(JinjaValues.ToStr(_eval.Evaluate(o.Value, scope)));
                return Flow.Normal;
            case IfNode i:
                foreach (var (condition, body) in i.Branches)
                {
                    if (JinjaValues.IsTrue(_eval.Evaluate(condition, scope))) return Run(body, scope);
                }
                return Run(i.Else, scope);
            case ForNode f:
                return RunFor(f, scope);
            case SetNode s:
                RunSet(s, scope);
                return Flow.Normal;
            case LoopControlNode c:
                return c.IsBreak ? Flow.Break : Flow.Continue;
            default:
                throw _source.Error(node.Offset, $"statement {node.GetType().Name} cannot be rendered");
        }
    }

    private Flow RunFor(ForNode f, JinjaScope scope)
    {
        var all = JinjaIteration.ToList(_eval.Evaluate(f.Iterable, scope), m => _source.Error(f.Iterable.Offset, m));
        List<object?> items = all;
        if (f.Filter is not null)
        {
            items = [];
            foreach (var item in all)
            {
                var probe = new JinjaScope(scope);
                Bind(f, probe, item);
                if (JinjaValues.IsTrue(_eval.Evaluate(f.Filter, probe))) items.Add(item);
            }
        }
        if (items.Count == 0) return Run(f.Else, scope);
        var loop = new JinjaLoop(items);
        for (int i = 0; i < items.Count; i++)
        {
            var inner = new JinjaScope(scope);   // each pass starts afresh: a set in one pass is not seen by the next
            loop.Index0 = i;
            inner.Set("loop", loop);
            Bind(f, inner, items[i]);
            if (Run(f.Body, inner) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private void Bind(ForNode f, JinjaScope scope, object? item)
    {
        if (f.Targets.Count == 1)
        {
            scope.Set(f.Targets[0], item);
            return;
        }
        if (item is not List<object?> parts || parts.Count != f.Targets.Count)
            throw _source.Error(f.Offset, $"cannot unpack {JinjaValues.TypeName(item)} into {f.Targets.Count} loop variables");
        for (int k = 0; k < parts.Count; k++) scope.Set(f.Targets[k], parts[k]);
    }

    private void RunSet(SetNode s, JinjaScope scope)
    {
        var value = _eval.Evaluate(s.Value, scope);
        if (s.Attribute is null)
        {
            scope.Set(s.Name, value);
            return;
        }
        if (!scope.TryGet(s.Name, out var target) || target is not JinjaNamespace ns)
            throw _source.Error(s.Offset, $"'{{% set {s.Name}.{s.Attribute} %}}' needs '{s.Name}' to be a namespace()");
        ns.Attributes[s.Attribute] = value;
    }
}
