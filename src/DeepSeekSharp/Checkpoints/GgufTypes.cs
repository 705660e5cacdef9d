namespace DeepSeekSharp.Checkpoints;

/// <summary>The value types of GGUF metadata (gguf.h's gguf_type), numbered as in the file.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>The ggml tensor types this project reads and writes (ggml.h's ggml_type numbering).</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
    BF16 = 30,
}

/// <summary>Block geometry of the ggml types: elements per block and bytes per block.</summary>
public static class GgmlTypes
{
    public static int BlockSize(GgmlType t) => t == GgmlType.Q8_0 ? Q8_0.BlockSize : 1;

    public static int BlockBytes(GgmlType t) => t switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q8_0 => Q8_0.BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unsupported ggml type"),
    };

    public static bool IsKnown(uint raw) => Enum.IsDefined(typeof(GgmlType), raw);

    /// <summary>Bytes of one row of <paramref name="ne0"/> elements; the row must be a whole number of blocks.</summary>
    public static long RowBytes(GgmlType t, long ne0)
    {
        int bs = BlockSize(t);
        if (ne0 % bs != 0) throw new DssException($"a row of {ne0} elements is not a whole number of {t} blocks of {bs}");
        return ne0 / bs * BlockBytes(t);
    }

    public static long TensorBytes(GgmlType t, IReadOnlyList<long> ne)
    {
        long rows = 1;
        for (int i = 1; i < ne.Count; i++) rows *= ne[i];
        return RowBytes(t, ne[0]) * rows;
    }

    /// <summary>general.file_type (llama_ftype) for a file whose large tensors are of type t.</summary>
    public static uint FileType(GgmlType t) => t switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q8_0 => 7,
        GgmlType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static string Name(GgmlType t) => t switch
    {
        GgmlType.F32 => "f32",
        GgmlType.F16 => "f16",
        GgmlType.Q8_0 => "q8_0",
        GgmlType.BF16 => "bf16",
        _ => t.ToString(),
    };

    public static GgmlType Parse(string s) => s.ToLowerInvariant() switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        "bf16" => GgmlType.BF16,
        "q8_0" => GgmlType.Q8_0,
        _ => throw new DssException($"unknown GGUF tensor type '{s}' (f32, f16, bf16, q8_0)"),
    };
}
