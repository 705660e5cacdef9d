namespace DeepSeekSharp.Checkpoints;

/// <summary>One entry of a safetensors header. <see cref="Offset"/> is absolute within the file.</summary>
public sealed record TensorInfo(string Name, DType DType, long[] Shape, long Offset, long ByteLength)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    public int Rank => Shape.Length;

    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}
