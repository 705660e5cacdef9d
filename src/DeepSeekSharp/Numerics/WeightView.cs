using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// A weight matrix (Rows = out_features, Cols = in_features), row-major, in its stored dtype:
/// F32, BF16 (ushort bits) or F8_E4M3 with per-block inverse scales
/// (ScaleInv: (ceil(Rows/BlockRows), ceil(Cols/BlockCols)) F32; w[i,j] = fp8(q[i,j]) * ScaleInv[i/BR, j/BC]).
/// The memory is owned elsewhere (a memory-mapped checkpoint or pinned arrays) and must outlive the view.
/// </summary>
public readonly unsafe struct WeightView
{
    public readonly DType DType;
    public readonly byte* Data;
    public readonly int Rows;
    public readonly int Cols;
    public readonly float* ScaleInv;
    public readonly int BlockRows;
    public readonly int BlockCols;

    public WeightView(DType dtype, byte* data, int rows, int cols, float* scaleInv = null, int blockRows = 128, int blockCols = 128)
    {
        if (dtype is not (DType.F32 or DType.BF16 or DType.F8_E4M3))
            throw new DssException($"weights of dtype {dtype} are not supported (F32, BF16, F8_E4M3)");
        if (dtype == DType.F8_E4M3 && scaleInv == null)
            throw new DssException("an F8_E4M3 weight needs its weight_scale_inv");
        DType = dtype;
        Data = data;
        Rows = rows;
        Cols = cols;
        ScaleInv = scaleInv;
        BlockRows = blockRows;
        BlockCols = blockCols;
    }

    public int ScaleCols => (Cols + BlockCols - 1) / BlockCols;
    public int ScaleRows => (Rows + BlockRows - 1) / BlockRows;

    public long ByteLength => (long)Rows * Cols * DTypes.SizeOf(DType) + (DType == DType.F8_E4M3 ? (long)ScaleRows * ScaleCols * 4 : 0);

    /// <summary>Whether rows [r0, ..) can be viewed on their own: any row, or for FP8 a row on a scale-block boundary.</summary>
    public bool CanSliceAt(int r0) => DType != DType.F8_E4M3 || r0 % BlockRows == 0;

    /// <summary>Rows [r0, r1) as a view of the same memory (for FP8, r0 on a scale-block row: <see cref="CanSliceAt"/>).</summary>
    public WeightView RowSlice(int r0, int r1)
    {
        if (r0 < 0 || r1 > Rows || r1 < r0) throw new ArgumentOutOfRangeException(nameof(r0), $"rows [{r0}, {r1}) of {Rows}");
        if (!CanSliceAt(r0)) throw new ArgumentException($"row {r0} is not on an FP8 block boundary");
        bool fp8 = DType == DType.F8_E4M3;
        return new WeightView(DType, Data + r0 * (long)Cols * DTypes.SizeOf(DType), r1 - r0, Cols,
            fp8 ? ScaleInv + r0 / BlockRows * ScaleCols : null, BlockRows, BlockCols);
    }

    /// <summary>Element (r, c) as F32 (dequantised). For tests and scalar reference code.</summary>
    public float At(int r, int c)
    {
        long i = (long)r * Cols + c;
        return DType switch
        {
            DType.F32 => ((float*)Data)[i],
            DType.BF16 => BFloat16.ToSingle(((ushort*)Data)[i]),
            _ => Fp8E4M3.ToSingle(Data[i]) * ScaleInv[(r / BlockRows) * ScaleCols + c / BlockCols],
        };
    }

    /// <summary>Row r dequantised into dst (length Cols).</summary>
    public void ReadRow(int r, Span<float> dst)
    {
        if ((uint)r >= (uint)Rows || dst.Length < Cols) throw new ArgumentException($"ReadRow: row {r} of {Rows}, destination {dst.Length} for {Cols} columns");
        long start = (long)r * Cols;
        switch (DType)
        {
            case DType.F32:
                new ReadOnlySpan<float>((float*)Data + start, Cols).CopyTo(dst);
                break;
            case DType.BF16:
                BFloat16.ToSingle(new ReadOnlySpan<ushort>((ushort*)Data + start, Cols), dst);
                break;
            default:
                var table = Fp8E4M3.DecodeTable;
                byte* q = Data + start;
                float* scales = ScaleInv + (long)(r / BlockRows) * ScaleCols;
                for (int c = 0; c < Cols; c++) dst[c] = table[q[c]] * scales[c / BlockCols];
                break;
        }
    }

    /// <summary>The whole matrix dequantised to F32 (Rows, Cols), row-major: for small weights and conversion.</summary>
    public float[] ReadAll()
    {
        var all = new float[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++) ReadRow(r, all.AsSpan(r * Cols, Cols));
        return all;
    }
}
