namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>
/// Jinja's Undefined: a missing variable, key or attribute. It prints as "", is false, iterates as empty and
/// fails "is defined"; looking something up on it is an error naming what was undefined.
/// </summary>
internal sealed class JinjaUndefined(string description)
{
    public string Description { get; } = description;
    public override string ToString() => "";
}
