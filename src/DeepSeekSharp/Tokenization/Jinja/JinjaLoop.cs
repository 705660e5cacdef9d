namespace DeepSeekSharp.Tokenization.Jinja;

/// <summary>The <c>loop</c> variable inside a for: index, index0, first, last, length, revindex, revindex0, previtem, nextitem.</summary>
internal sealed class JinjaLoop(IReadOnlyList<object?> items)
{
    public int Index0 { get; set; }

    public object? Get(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)Index0 + 1,
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new JinjaUndefined("loop.previtem"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new JinjaUndefined("loop.nextitem"),
        _ => new JinjaUndefined("loop." + name),
    };
}
