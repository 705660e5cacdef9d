using System.Runtime.InteropServices;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// Receives one tensor's rows as F32 (ne0 values each, in ggml order) and writes them encoded in the tensor's type.
/// The writer checks afterwards that exactly the declared number of rows arrived.
/// </summary>
public sealed class GgufRowSink
{
    private readonly Stream _out;
    private readonly byte[] _buf;

    public GgufTensorInfo Tensor { get; }
    public long RowsWritten { get; private set; }
    public int RowLength => checked((int)Tensor.Dims[0]);

    internal GgufRowSink(Stream output, GgufTensorInfo tensor)
    {
        _out = output;
        Tensor = tensor;
        _buf = new byte[GgmlTypes.RowBytes(tensor.Type, tensor.Dims[0])];
    }

    public void WriteRow(ReadOnlySpan<float> row)
    {
        if (row.Length != RowLength)
            throw new InvalidOperationException($"{Tensor.Name}: row of {row.Length} values, expected {RowLength}");
        if (RowsWritten >= Tensor.Rows)
            throw new InvalidOperationException($"{Tensor.Name}: more than the {Tensor.Rows} declared rows");
        switch (Tensor.Type)
        {
            case GgmlType.F32:
                MemoryMarshal.AsBytes(row).CopyTo(_buf);
                break;
            case GgmlType.F16:
                var h = MemoryMarshal.Cast<byte, Half>(_buf.AsSpan());
                for (int i = 0; i < row.Length; i++) h[i] = (Half)row[i];
                break;
            case GgmlType.BF16:
                BFloat16.FromSingle(row, MemoryMarshal.Cast<byte, ushort>(_buf.AsSpan()));
                break;
            case GgmlType.Q8_0:
                Q8_0.Quantize(row, _buf);
                break;
            default:
                throw new InvalidOperationException($"{Tensor.Name}: cannot encode {Tensor.Type}");
        }
        _out.Write(_buf);
        RowsWritten++;
    }
}
