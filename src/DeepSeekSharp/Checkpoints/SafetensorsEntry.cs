using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// One tensor to be written: its name, dtype, shape and a callback that writes exactly
/// <see cref="ByteLength"/> bytes (little-endian, row-major) into the stream it is given.
/// The callback lets a multi-GB model be written tensor by tensor without one big buffer.
/// </summary>
public sealed class SafetensorsEntry
{
    public string Name { get; }
    public DType DType { get; }
    public long[] Shape { get; }
    public long ByteLength { get; }
    public Action<Stream> WriteData { get; }

    public SafetensorsEntry(string name, DType dtype, long[] shape, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(writeData);
        if (name.Length == 0) throw new ArgumentException("tensor name is empty", nameof(name));
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved for the header's metadata", nameof(name));
        long elements = 1;
        try
        {
            foreach (var d in shape)
            {
                if (d < 0) throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension", nameof(shape));
                elements = checked(elements * d);
            }
            ByteLength = checked(elements * DTypes.SizeOf(dtype));
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] is too large", nameof(shape));
        }
        Name = name;
        DType = dtype;
        Shape = (long[])shape.Clone();
        WriteData = writeData;
    }

    /// <summary>A tensor whose bytes are already in memory; their length must match shape x dtype size.</summary>
    public static SafetensorsEntry FromBytes(string name, DType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        var e = new SafetensorsEntry(name, dtype, shape, s => s.Write(data.Span));
        if (e.ByteLength != data.Length)
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes given but shape [{string.Join(", ", shape)}] x {dtype} needs {e.ByteLength}", nameof(data));
        return e;
    }

    /// <summary>A tensor from an array of its element type (float for F32, ushort for BF16/F16 bits, byte for FP8/U8/BOOL, ...).</summary>
    public static SafetensorsEntry FromArray<T>(string name, DType dtype, long[] shape, T[] data) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Unsafe.SizeOf<T>() != DTypes.SizeOf(dtype))
            throw new ArgumentException($"tensor '{name}': element type {typeof(T).Name} does not have the size of {dtype}", nameof(data));
        var e = new SafetensorsEntry(name, dtype, shape, s => s.Write(MemoryMarshal.AsBytes(data.AsSpan())));
        if (e.ByteLength != (long)data.Length * Unsafe.SizeOf<T>())
            throw new ArgumentException($"tensor '{name}': {data.Length} elements given but shape [{string.Join(", ", shape)}] has {e.ByteLength / Unsafe.SizeOf<T>()}", nameof(data));
        return e;
    }
}
