using System.Runtime.InteropServices;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Checkpoints;

public static class SafetensorsReadExtensions
{
    /// <summary>Converts a floating-point tensor (F32, F16, BF16, F8_E4M3, F8_E5M2) to a new F32 array.</summary>
    public static float[] ReadF32(this SafetensorsFile f, string name)
    {
        var t = f.Info(name);
        var bytes = f.GetBytes(t);
        var dst = new float[t.ElementCount];
        switch (t.DType)
        {
            case DType.F32: MemoryMarshal.Cast<byte, float>(bytes).CopyTo(dst); break;
            case DType.BF16: BFloat16.ToSingle(MemoryMarshal.Cast<byte, ushort>(bytes), dst); break;
            case DType.F16:
                var h = MemoryMarshal.Cast<byte, Half>(bytes);
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)h[i];
                break;
            case DType.F8_E4M3: for (int i = 0; i < dst.Length; i++) dst[i] = Fp8E4M3.ToSingle(bytes[i]); break;
            case DType.F8_E5M2: for (int i = 0; i < dst.Length; i++) dst[i] = Fp8E5M2.ToSingle(bytes[i]); break;
            default: throw new CheckpointFormatException(f.Path, name, $"dtype {t.DType} is not a floating-point type");
        }
        return dst;
    }

    public static int[] ReadI32(this SafetensorsFile f, string name)
    {
        var t = f.Info(name);
        var bytes = f.GetBytes(t);
        return t.DType switch
        {
            DType.I32 => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
            DType.I64 => NarrowI64(f, name, MemoryMarshal.Cast<byte, long>(bytes)),
            DType.U8 => bytes.ToArray().Select(b => (int)b).ToArray(),
            _ => throw new CheckpointFormatException(f.Path, name, $"dtype {t.DType} is not an integer type"),
        };
    }

    private static int[] NarrowI64(SafetensorsFile f, string name, ReadOnlySpan<long> src)
    {
        var dst = new int[src.Length];
        for (int i = 0; i < src.Length; i++)
        {
            if (src[i] < int.MinValue || src[i] > int.MaxValue)
                throw new CheckpointFormatException(f.Path, name, $"element {i} = {src[i]} does not fit in a 32-bit integer");
            dst[i] = (int)src[i];
        }
        return dst;
    }
}
