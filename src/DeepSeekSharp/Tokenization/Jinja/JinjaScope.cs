namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>
/// Variables visible at a point of the template. A for loop body gets its own scope, so {% set %} inside a loop
/// does not change the variable outside it (Jinja's rule, and the reason templates use namespace()).
/// </summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s._vars.TryGetValue(name, out value)) return true;
        }
        value = null;
        return false;
    }

    public JinjaScope? Parent { get; } = parent;

    public void Set(string name, object? value) => _vars[name] = value;
}
