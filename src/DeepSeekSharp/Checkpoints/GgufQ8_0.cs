using System.Buffers.Binary;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// ggml's Q8_0: blocks of 32 values stored as an F16 scale d = amax / 127 followed by 32 int8 q = round(x / d);
/// the value is d * q. 34 bytes per block.
/// </summary>
public static class Q8_0
{
    public const int BlockSize = 32;
    public const int BlockBytes = 2 + BlockSize;

    /// <summary>Quantises src (a multiple of 32 values) into dst (src.Length / 32 * 34 bytes).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (src.Length % BlockSize != 0) throw new ArgumentException($"length {src.Length} is not a multiple of {BlockSize}");
        int nb = src.Length / BlockSize;
        if (dst.Length < nb * BlockBytes) throw new ArgumentException("destination too short");
        for (int b = 0; b < nb; b++)
        {
            var x = src.Slice(b * BlockSize, BlockSize);
            var o = dst.Slice(b * BlockBytes, BlockBytes);
            float amax = 0;
            foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            BinaryPrimitives.WriteHalfLittleEndian(o, (Half)d);
            for (int j = 0; j < BlockSize; j++)
                o[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>Dequantises src (whole blocks) into dst (32 values per block).</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (src.Length % BlockBytes != 0) throw new ArgumentException($"length {src.Length} is not a multiple of {BlockBytes}");
        int nb = src.Length / BlockBytes;
        if (dst.Length < nb * BlockSize) throw new ArgumentException("destination too short");
        for (int b = 0; b < nb; b++)
        {
            var i = src.Slice(b * BlockBytes, BlockBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(i);
            for (int j = 0; j < BlockSize; j++) dst[b * BlockSize + j] = d * (sbyte)i[2 + j];
        }
    }
}
