namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// One tensor of a GGUF file. Dims are in ggml order (ne0 first: the contiguous row length), the reverse of
/// PyTorch's shape. Offset is relative to the start of the data section.
/// </summary>
public sealed record GgufTensorInfo(string Name, long[] Dims, GgmlType Type, long Offset)
{
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);
    public long ByteLength => GgmlTypes.TensorBytes(Type, Dims);
    public long Rows => ElementCount / Dims[0];
    public string DimsString => "[" + string.Join(", ", Dims) + "]";
}
