namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>A statement of a parsed template; <see cref="Offset"/> points into the source for errors.</summary>
internal abstract record JinjaNode(int Offset);

internal sealed record TextNode(string Text, int Offset) : JinjaNode(Offset);

/// <summary>{{ expr }}</summary>
internal sealed record OutputNode(JinjaExpr Value, int Offset) : JinjaNode(Offset);

/// <summary>{% if %}...{% elif %}...{% else %}...{% endif %}: conditions paired with bodies, then the else body.</summary>
internal sealed record IfNode(IReadOnlyList<(JinjaExpr Condition, IReadOnlyList<JinjaNode> Body)> Branches,
    IReadOnlyList<JinjaNode> Else, int Offset) : JinjaNode(Offset);

/// <summary>{% for a[, b] in iterable [if filter] %}...{% else %}...{% endfor %}</summary>
internal sealed record ForNode(IReadOnlyList<string> Targets, JinjaExpr Iterable, JinjaExpr? Filter,
    IReadOnlyList<JinjaNode> Body, IReadOnlyList<JinjaNode> Else, int Offset) : JinjaNode(Offset);

/// <summary>{% set name = expr %} or {% set ns.attr = expr %} (Attribute non-null).</summary>
internal sealed record SetNode(string Name, string? Attribute, JinjaExpr Value, int Offset) : JinjaNode(Offset);

/// <summary>{% break %} and {% continue %} (Jinja's loopcontrols extension, which Hugging Face enables).</summary>
internal sealed record LoopControlNode(bool IsBreak, int Offset) : JinjaNode(Offset);
