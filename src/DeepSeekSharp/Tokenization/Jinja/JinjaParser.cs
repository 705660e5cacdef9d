using System.Globalization;

namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>
/// Recursive-descent parser for the Jinja subset chat templates use. Operator precedence follows Jinja:
/// conditional &lt; or &lt; and &lt; not &lt; comparisons/in &lt; + - &lt; ~ &lt; * / // % &lt; ** &lt; unary &lt;
/// postfix (. [] () | is). A statement or syntax outside the subset is a <see cref="JinjaException"/> naming it.
/// </summary>
internal sealed class JinjaParser
{
    private static readonly HashSet<string> KnownUnsupportedTags =
    [
        "macro", "call", "filter", "block", "extends", "include", "import", "from", "with", "raw",
        "autoescape", "do", "generation", "trans",
    ];

    private readonly JinjaSource _source;
    private readonly List<JinjaToken> _tokens;
    private int _i;

    public JinjaParser(JinjaSource source, List<JinjaToken> tokens)
    {
        _source = source;
        _tokens = tokens;
    }

    private JinjaToken Peek => _tokens[_i];
    private JinjaToken PeekAt(int ahead) => _tokens[Math.Min(_i + ahead, _tokens.Count - 1)];
    private JinjaToken Next() => _tokens[_i++];

    public IReadOnlyList<JinjaNode> ParseTemplate()
    {
        var body = ParseBody([], out _);
        if (Peek.Kind != JinjaTokenKind.Eof) throw Error(Peek, "unexpected content");
        return body;
    }

    /// <summary>Parses statements until a block tag whose keyword is in <paramref name="endTags"/>; consumes "{% keyword".</summary>
    private List<JinjaNode> ParseBody(string[] endTags, out string endTag)
    {
        var nodes = new List<JinjaNode>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case JinjaTokenKind.Eof:
                    if (endTags.Length > 0)
                        throw Error(t, $"template ended before {string.Join(" or ", endTags.Select(e => "{% " + e + " %}"))}");
                    endTag = "";
                    return nodes;
                case JinjaTokenKind.Text:
                    nodes.Add(new TextNode(Next().Value, t.Offset));
                    break;
                case JinjaTokenKind.VarBegin:
                    Next();
                    var value = ParseExpression();
                    Expect(JinjaTokenKind.VarEnd, "'}}'");
                    nodes.Add(new OutputNode(value, t.Offset));
                    break;
                case JinjaTokenKind.BlockBegin:
                    var keyword = PeekAt(1);
                    if (keyword.Kind == JinjaTokenKind.Name && endTags.Contains(keyword.Value))
                    {
                        _i += 2;
                        endTag = keyword.Value;
                        return nodes;
                    }
                    Next();
                    nodes.Add(ParseStatement(t.Offset));
                    break;
                default:
                    throw Error(t, $"unexpected '{t.Value}'");
            }
        }
    }

    private JinjaNode ParseStatement(int offset)
    {
        var keyword = Next();
        if (keyword.Kind != JinjaTokenKind.Name) throw Error(keyword, "expected a statement name after '{%'");
        switch (keyword.Value)
        {
            case "if": return ParseIf(offset);
            case "for": return ParseFor(offset);
            case "set": return ParseSet(offset);
            case "break":
            case "continue":
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new LoopControlNode(keyword.Value == "break", offset);
            case "elif" or "else" or "endif" or "endfor" or "endset":
                throw Error(keyword, $"'{{% {keyword.Value} %}}' without a matching opening tag");
            default:
                string what = KnownUnsupportedTags.Contains(keyword.Value) ? "is not supported" : "is not a known statement";
                throw Error(keyword, $"'{{% {keyword.Value} %}}' {what} by this Jinja subset");
        }
    }

    private IfNode ParseIf(int offset)
    {
        var branches = new List<(JinjaExpr, IReadOnlyList<JinjaNode>)>();
        var condition = ParseExpression();
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        while (true)
        {
            var body = ParseBody(["elif", "else", "endif"], out string end);
            branches.Add((condition, body));
            if (end == "elif")
            {
                condition = ParseExpression();
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                continue;
            }
            Expect(JinjaTokenKind.BlockEnd, "'%}'");
            if (end == "endif") return new IfNode(branches, [], offset);
            var elseBody = ParseBody(["endif"], out _);
            Expect(JinjaTokenKind.BlockEnd, "'%}'");
            return new IfNode(branches, elseBody, offset);
        }
    }

    private ForNode ParseFor(int offset)
    {
        var targets = new List<string> { ExpectName("a loop variable") };
        while (Peek.IsOp(","))
        {
            Next();
            targets.Add(ExpectName("a loop variable"));
        }
        if (!Next().IsName("in")) throw Error(_tokens[_i - 1], "expected 'in' in '{% for %}'");
        var iterable = ParseOr();
        JinjaExpr? filter = null;
        if (Peek.IsName("if"))
        {
            Next();
            filter = ParseOr();
        }
        if (Peek.IsName("recursive")) throw Error(Peek, "'{% for ... recursive %}' is not supported by this Jinja subset");
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        var body = ParseBody(["else", "endfor"], out string end);
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        IReadOnlyList<JinjaNode> elseBody = [];
        if (end == "else")
        {
            elseBody = ParseBody(["endfor"], out _);
            Expect(JinjaTokenKind.BlockEnd, "'%}'");
        }
        return new ForNode(targets, iterable, filter, body, elseBody, offset);
    }

    private SetNode ParseSet(int offset)
    {
        string name = ExpectName("a variable name");
        string? attribute = null;
        if (Peek.IsOp("."))
        {
            Next();
            attribute = ExpectName("an attribute name");
        }
        if (Peek.Kind == JinjaTokenKind.BlockEnd)
            throw Error(Peek, "block assignment '{% set name %}...{% endset %}' is not supported by this Jinja subset");
        if (Peek.IsOp(",")) throw Error(Peek, "tuple assignment in '{% set %}' is not supported by this Jinja subset");
        if (!Next().IsOp("=")) throw Error(_tokens[_i - 1], "expected '=' in '{% set %}'");
        var value = ParseExpression();
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        return new SetNode(name, attribute, value, offset);
    }

    // ---- expressions ----

    public JinjaExpr ParseExpression()
    {
        var value = ParseOr();
        if (!Peek.IsName("if")) return value;
        var t = Next();
        var condition = ParseOr();
        JinjaExpr? otherwise = null;
        if (Peek.IsName("else"))
        {
            Next();
            otherwise = ParseExpression();
        }
        return new ConditionalExpr(value, condition, otherwise, t.Offset);
    }

    private JinjaExpr ParseOr()
    {
        var left = ParseAnd();
        while (Peek.IsName("or"))
        {
            var t = Next();
            left = new BinaryExpr("or", left, ParseAnd(), t.Offset);
        }
        return left;
    }

    private JinjaExpr ParseAnd()
    {
        var left = ParseNot();
        while (Peek.IsName("and"))
        {
            var t = Next();
            left = new BinaryExpr("and", left, ParseNot(), t.Offset);
        }
        return left;
    }

    private JinjaExpr ParseNot()
    {
        if (!Peek.IsName("not")) return ParseCompare();
        var t = Next();
        return new UnaryExpr("not", ParseNot(), t.Offset);
    }

    private static readonly HashSet<string> CompareOps = ["==", "!=", "<", ">", "<=", ">="];

    // Comparisons chain as in Python: a < b <= c means (a < b) and (b <= c).
    private JinjaExpr ParseCompare()
    {
        var left = ParseAdditive();
        JinjaExpr? chain = null;
        while (true)
        {
            var t = Peek;
            string op;
            if (t.Kind == JinjaTokenKind.Operator && CompareOps.Contains(t.Value)) { Next(); op = t.Value; }
            else if (t.IsName("in")) { Next(); op = "in"; }
            else if (t.IsName("not") && PeekAt(1).IsName("in")) { _i += 2; op = "not in"; }
            else return chain ?? left;
            var right = ParseAdditive();
            var comparison = new BinaryExpr(op, left, right, t.Offset);
            chain = chain is null ? comparison : new BinaryExpr("and", chain, comparison, t.Offset);
            left = right;
        }
    }

    private JinjaExpr ParseAdditive()
    {
        var left = ParseConcat();
        while (Peek.IsOp("+") || Peek.IsOp("-"))
        {
            var t = Next();
            left = new BinaryExpr(t.Value, left, ParseConcat(), t.Offset);
        }
        return left;
    }

    private JinjaExpr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (Peek.IsOp("~"))
        {
            var t = Next();
            left = new BinaryExpr("~", left, ParseMultiplicative(), t.Offset);
        }
        return left;
    }

    private JinjaExpr ParseMultiplicative()
    {
        var left = ParsePower();
        while (Peek.IsOp("*") || Peek.IsOp("/") || Peek.IsOp("//") || Peek.IsOp("%"))
        {
            var t = Next();
            left = new BinaryExpr(t.Value, left, ParsePower(), t.Offset);
        }
        return left;
    }

    private JinjaExpr ParsePower()
    {
        var left = ParseUnary();
        while (Peek.IsOp("**"))
        {
            var t = Next();
            left = new BinaryExpr("**", left, ParseUnary(), t.Offset);
        }
        return left;
    }

    private JinjaExpr ParseUnary()
    {
        if (Peek.IsOp("-") || Peek.IsOp("+"))
        {
            var t = Next();
            return new UnaryExpr(t.Value, ParseUnary(), t.Offset);
        }
        return ParsePostfix(ParsePrimary());
    }

    private JinjaExpr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case JinjaTokenKind.String:
                // Adjacent string literals concatenate, as in Python.
                string s = t.Value;
                while (Peek.Kind == JinjaTokenKind.String) s += Next().Value;
                return new LiteralExpr(s, t.Offset);
            case JinjaTokenKind.Integer:
                return new LiteralExpr(long.Parse(t.Value, CultureInfo.InvariantCulture), t.Offset);
            case JinjaTokenKind.Float:
                return new LiteralExpr(double.Parse(t.Value, CultureInfo.InvariantCulture), t.Offset);
            case JinjaTokenKind.Name:
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Offset),
                    "false" or "False" => new LiteralExpr(false, t.Offset),
                    "none" or "None" => new LiteralExpr(null, t.Offset),
                    _ => new NameExpr(t.Value, t.Offset),
                };
            case JinjaTokenKind.Operator when t.Value == "(":
                var inner = ParseExpression();
                if (Peek.IsOp(",")) return ParseSequence(inner, ")", t.Offset);
                ExpectOp(")");
                return inner;
            case JinjaTokenKind.Operator when t.Value == "[":
                if (Peek.IsOp("]")) { Next(); return new ListExpr([], t.Offset); }
                return ParseSequence(ParseExpression(), "]", t.Offset);
            case JinjaTokenKind.Operator when t.Value == "{":
                return ParseDict(t.Offset);
            default:
                throw Error(t, t.Kind is JinjaTokenKind.VarEnd or JinjaTokenKind.BlockEnd or JinjaTokenKind.Eof
                    ? "expected an expression" : $"unexpected '{t.Value}' in expression");
        }
    }

    // A list [a, b] or a tuple (a, b) (tuples are lists here); the first item is parsed already.
    private ListExpr ParseSequence(JinjaExpr first, string close, int offset)
    {
        var items = new List<JinjaExpr> { first };
        while (Peek.IsOp(","))
        {
            Next();
            if (Peek.IsOp(close)) break;
            items.Add(ParseExpression());
        }
        ExpectOp(close);
        return new ListExpr(items, offset);
    }

    private DictExpr ParseDict(int offset)
    {
        var items = new List<(JinjaExpr, JinjaExpr)>();
        while (!Peek.IsOp("}"))
        {
            var key = ParseExpression();
            ExpectOp(":");
            items.Add((key, ParseExpression()));
            if (!Peek.IsOp(",")) break;
            Next();
        }
        ExpectOp("}");
        return new DictExpr(items, offset);
    }

    private JinjaExpr ParsePostfix(JinjaExpr node)
    {
        while (true)
        {
            var t = Peek;
            if (t.IsOp("."))
            {
                Next();
                var name = Next();
                if (name.Kind == JinjaTokenKind.Name) node = new AttributeExpr(node, name.Value, name.Offset);
                else if (name.Kind == JinjaTokenKind.Integer) node = new IndexExpr(node, new LiteralExpr(long.Parse(name.Value, CultureInfo.InvariantCulture), name.Offset), t.Offset);
                else throw Error(name, "expected an attribute name after '.'");
            }
            else if (t.IsOp("["))
            {
                Next();
                node = ParseSubscript(node, t.Offset);
            }
            else if (t.IsOp("("))
            {
                Next();
                node = new CallExpr(node, ParseArgs(), t.Offset);
            }
            else if (t.IsOp("|"))
            {
                Next();
                string filter = ExpectName("a filter name");
                var args = Peek.IsOp("(") ? ParseArgsAfterParen() : JinjaArgs.None;
                node = new FilterExpr(node, filter, args, t.Offset);
            }
            else if (t.IsName("is"))
            {
                Next();
                bool negated = false;
                if (Peek.IsName("not")) { Next(); negated = true; }
                var testToken = Next();
                string test = testToken.Kind == JinjaTokenKind.Name ? testToken.Value
                    : throw Error(testToken, "expected a test name after 'is'");
                JinjaArgs args = JinjaArgs.None;
                if (Peek.IsOp("(")) args = ParseArgsAfterParen();
                else if (Peek.Kind is JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float)
                    args = new JinjaArgs([ParsePrimary()], []);
                node = new TestExpr(node, test, args, negated, t.Offset);
            }
            else return node;
        }
    }

    private JinjaExpr ParseSubscript(JinjaExpr target, int offset)
    {
        JinjaExpr? start = Peek.IsOp(":") ? null : ParseExpression();
        if (Peek.IsOp("]"))
        {
            Next();
            return new IndexExpr(target, start!, offset);
        }
        ExpectOp(":");
        JinjaExpr? stop = Peek.IsOp(":") || Peek.IsOp("]") ? null : ParseExpression();
        JinjaExpr? step = null;
        if (Peek.IsOp(":"))
        {
            Next();
            if (!Peek.IsOp("]")) step = ParseExpression();
        }
        ExpectOp("]");
        return new SliceExpr(target, start, stop, step, offset);
    }

    private JinjaArgs ParseArgsAfterParen()
    {
        ExpectOp("(");
        return ParseArgs();
    }

    // Arguments after '(' up to and including ')': positional first, then name=value.
    private JinjaArgs ParseArgs()
    {
        var positional = new List<JinjaExpr>();
        var keywords = new List<(string, JinjaExpr)>();
        while (!Peek.IsOp(")"))
        {
            if (Peek.Kind == JinjaTokenKind.Name && PeekAt(1).IsOp("="))
            {
                string name = Next().Value;
                Next();
                keywords.Add((name, ParseExpression()));
            }
            else
            {
                if (keywords.Count > 0) throw Error(Peek, "positional argument after keyword argument");
                positional.Add(ParseExpression());
            }
            if (!Peek.IsOp(",")) break;
            Next();
        }
        ExpectOp(")");
        return new JinjaArgs(positional, keywords);
    }

    private void Expect(JinjaTokenKind kind, string what)
    {
        var t = Next();
        if (t.Kind != kind) throw Error(t, $"expected {what} but found {Describe(t)}");
    }

    private void ExpectOp(string op)
    {
        var t = Next();
        if (!t.IsOp(op)) throw Error(t, $"expected '{op}' but found {Describe(t)}");
    }

    private string ExpectName(string what)
    {
        var t = Next();
        if (t.Kind != JinjaTokenKind.Name) throw Error(t, $"expected {what} but found {Describe(t)}");
        return t.Value;
    }

    private static string Describe(JinjaToken t) => t.Kind switch
    {
        JinjaTokenKind.VarEnd => "'}}'",
        JinjaTokenKind.BlockEnd => "'%}'",
        JinjaTokenKind.Eof => "the end of the template",
        JinjaTokenKind.String => $"string '{t.Value}'",
        JinjaTokenKind.Text => "template text",
        _ => $"'{t.Value}'",
    };

    private JinjaException Error(JinjaToken t, string message) => _source.Error(t.Offset, message);
}
