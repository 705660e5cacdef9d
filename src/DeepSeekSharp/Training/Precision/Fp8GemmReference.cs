namespace DeepSeekSharp.Training.Precision;

/// <summary>
/// The plain scalar twin of <see cref="Fp8Gemm"/> (one output at a time, same 16-lane accumulator model), plus the
/// unpromoted variant the promotion is measured against.
/// </summary>
public static class Fp8GemmReference
{
    /// <summary>Truncates toward zero to <see cref="Fp8Gemm.AccumulatorBits"/> significant bits.</summary>
    public static float Truncate(float v) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & Fp8Gemm.TruncateMask);

    /// <summary>
    /// One output: sum over j &lt; J of a[j] * b[j] with per-chunk scales aS, bS (one per 128 of j).
    /// promote = true: as <see cref="Fp8Gemm"/>, 14-bit partials promoted to F32 after every chunk of 128.
    /// promote = false: reduced precision throughout: each product, scaled by its chunk's aS * bS in F32, goes into
    /// the 14-bit partials for the whole of J (what the accumulator alone does without promotion).
    /// </summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> aS, ReadOnlySpan<float> b, ReadOnlySpan<float> bS, int J, bool promote)
    {
        Span<float> partial = stackalloc float[16];
        Span<float> promoted = stackalloc float[16];
        partial.Clear();
        promoted.Clear();
        int nq = Fp8Gemm.Chunks(J);
        for (int q = 0; q < nq; q++)
        {
            float scale = aS[q] * bS[q];
            for (int j = q * Fp8Gemm.Chunk; j < Math.Min(J, (q + 1) * Fp8Gemm.Chunk); j++)
            {
                int l = j & 15;
                partial[l] = promote
                    ? Truncate(MathF.FusedMultiplyAdd(a[j], b[j], partial[l]))
                    : Truncate(partial[l] + a[j] * b[j] * scale);
            }
            if (!promote) continue;
            for (int l = 0; l < 16; l++)
            {
                promoted[l] = MathF.FusedMultiplyAdd(partial[l], scale, promoted[l]);
                partial[l] = 0;
            }
        }
        float sum = 0;
        for (int l = 0; l < 16; l++) sum = promote ? sum + promoted[l] : Truncate(sum + partial[l]);
        return sum;
    }
}
