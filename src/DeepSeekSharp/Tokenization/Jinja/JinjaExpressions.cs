namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>An expression of a parsed template; <see cref="Offset"/> points into the source for errors.</summary>
internal abstract record JinjaExpr(int Offset);

internal sealed record LiteralExpr(object? Value, int Offset) : JinjaExpr(Offset);

internal sealed record NameExpr(string Name, int Offset) : JinjaExpr(Offset);

internal sealed record ListExpr(IReadOnlyList<JinjaExpr> Items, int Offset) : JinjaExpr(Offset);

internal sealed record DictExpr(IReadOnlyList<(JinjaExpr Key, JinjaExpr Value)> Items, int Offset) : JinjaExpr(Offset);

/// <summary>obj.name</summary>
internal sealed record AttributeExpr(JinjaExpr Target, string Name, int Offset) : JinjaExpr(Offset);

/// <summary>obj[index]</summary>
internal sealed record IndexExpr(JinjaExpr Target, JinjaExpr Index, int Offset) : JinjaExpr(Offset);

/// <summary>obj[start:stop:step], any part optional.</summary>
internal sealed record SliceExpr(JinjaExpr Target, JinjaExpr? Start, JinjaExpr? Stop, JinjaExpr? Step, int Offset) : JinjaExpr(Offset);

/// <summary>Positional and keyword arguments of a call, filter or test.</summary>
internal sealed record JinjaArgs(IReadOnlyList<JinjaExpr> Positional, IReadOnlyList<(string Name, JinjaExpr Value)> Keywords)
{
    public static readonly JinjaArgs None = new([], []);
}

/// <summary>f(args) or obj.method(args).</summary>
internal sealed record CallExpr(JinjaExpr Callee, JinjaArgs Args, int Offset) : JinjaExpr(Offset);

/// <summary>value | name(args)</summary>
internal sealed record FilterExpr(JinjaExpr Value, string Name, JinjaArgs Args, int Offset) : JinjaExpr(Offset);

/// <summary>value is [not] name(args)</summary>
internal sealed record TestExpr(JinjaExpr Value, string Name, JinjaArgs Args, bool Negated, int Offset) : JinjaExpr(Offset);

/// <summary>Unary "not" and "-"/"+".</summary>
internal sealed record UnaryExpr(string Op, JinjaExpr Operand, int Offset) : JinjaExpr(Offset);

/// <summary>Binary operators: or and == != &lt; &gt; &lt;= &gt;= in "not in" + - ~ * / // % **</summary>
internal sealed record BinaryExpr(string Op, JinjaExpr Left, JinjaExpr Right, int Offset) : JinjaExpr(Offset);

/// <summary>then if condition else otherwise (otherwise null: undefined).</summary>
internal sealed record ConditionalExpr(JinjaExpr Then, JinjaExpr Condition, JinjaExpr? Otherwise, int Offset) : JinjaExpr(Offset);
