namespace DeepSeekSharp.Tokenization.Jinja;

internal enum JinjaTokenKind
{
    Text,        // literal template text
    VarBegin,    // {{
    VarEnd,      // }}
    BlockBegin,  // {%
    BlockEnd,    // %}
    Name,
    String,
    Integer,
    Float,
    Operator,
    Eof,
}

/// <summary>One lexed token; <see cref="Offset"/> is its position in the template source.</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Value, int Offset)
{
    public bool Is(JinjaTokenKind kind, string value) => Kind == kind && Value == value;
    public bool IsName(string name) => Kind == JinjaTokenKind.Name && Value == name;
    public bool IsOp(string op) => Kind == JinjaTokenKind.Operator && Value == op;
}
