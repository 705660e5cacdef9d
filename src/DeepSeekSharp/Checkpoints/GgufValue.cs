using System.Globalization;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// One GGUF metadata value: a scalar, a string, or an array of one element type. Value holds the CLR value:
/// uint/int/float/bool/string/ulong/long/double/byte/sbyte/ushort/short, or for arrays a CLR array of those.
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType ElementType = GgufValueType.UInt8)
{
    public static GgufValue U32(uint v) => new(GgufValueType.UInt32, v);
    public static GgufValue I32(int v) => new(GgufValueType.Int32, v);
    public static GgufValue F32(float v) => new(GgufValueType.Float32, v);
    public static GgufValue Bool(bool v) => new(GgufValueType.Bool, v);
    public static GgufValue Str(string v) => new(GgufValueType.String, v);
    public static GgufValue Strings(string[] v) => new(GgufValueType.Array, v, GgufValueType.String);
    public static GgufValue I32s(int[] v) => new(GgufValueType.Array, v, GgufValueType.Int32);
    public static GgufValue F32s(float[] v) => new(GgufValueType.Array, v, GgufValueType.Float32);

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Integer-valued scalars of any width as a long; a clear error otherwise.</summary>
    public long AsInteger() => Value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        ulong v => checked((long)v),
        long v => v,
        _ => throw new DssException($"GGUF value of type {Type} is not an integer"),
    };

    public double AsDouble() => Value switch
    {
        float v => v,
        double v => v,
        _ => AsInteger(),
    };

    public override string ToString() => Value switch
    {
        string s => s.Length > 80 ? $"\"{s[..77]}...\"" : $"\"{s}\"",
        Array a => $"[{ElementType} x {a.Length}]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var v => v.ToString() ?? "",
    };
}
