using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Conversion;

/// <summary>Reads rows of a checkpoint weight (F32, BF16, or FP8 with its block scales) as F32.</summary>
internal static unsafe class WeightRows
{
    public static void Read(in WeightView v, int r, Span<float> dst)
    {
        int cols = v.Cols;
        if (dst.Length != cols) throw new ArgumentException("row length mismatch");
        long start = (long)r * cols;
        switch (v.DType)
        {
            case DType.F32:
                new ReadOnlySpan<float>((float*)v.Data + start, cols).CopyTo(dst);
                break;
            case DType.BF16:
                BFloat16.ToSingle(new ReadOnlySpan<ushort>((ushort*)v.Data + start, cols), dst);
                break;
            case DType.F8_E4M3:
                var table = Fp8E4M3.DecodeTable;
                byte* q = v.Data + start;
                float* scales = v.ScaleInv + (long)(r / v.BlockRows) * v.ScaleCols;
                for (int c = 0; c < cols; c++) dst[c] = table[q[c]] * scales[c / v.BlockCols];
                break;
            default:
                throw new DssException($"weights of dtype {v.DType} cannot be exported");
        }
    }

    /// <summary>The whole matrix as F32 (Rows x Cols, row-major).</summary>
    public static float[] ReadAll(in WeightView v)
    {
        var all = new float[(long)v.Rows * v.Cols];
        for (int r = 0; r < v.Rows; r++) Read(v, r, all.AsSpan(r * v.Cols, v.Cols));
        return all;
    }
}
