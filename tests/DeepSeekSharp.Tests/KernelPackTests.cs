using System.Runtime.Intrinsics;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>The SIMD GEMM panel packs (16 x 16 and 8 x 8 register transposes) against the element-by-element pack, bit for bit.</summary>
public class KernelPackTests
{
    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F8_E4M3)]
    public unsafe void SimdPackEqualsScalarPack(DType dtype)
    {
        const int NR = 32, KC = 128;
        using var w = new TestWeight(dtype, 77, 301, 5);
        float* got = stackalloc float[KC * NR];
        float* want = stackalloc float[KC * NR];
        foreach (var (n0, nr) in new[] { (0, 32), (32, 32), (40, 17), (64, 13), (16, 16), (8, 8), (3, 1) })
            foreach (var (k0, kc) in new[] { (0, 128), (128, 128), (5, 37), (256, 45), (0, 16), (17, 8), (0, 1) })
            {
                foreach (var tier in new[] { SimdTier.V256, SimdTier.V512 })
                {
                    if (!Simd.IsSupported(tier)) continue;
                    new Span<float>(got, KC * NR).Fill(float.NaN);
                    new Span<float>(want, KC * NR).Fill(float.NaN);
                    Pack(tier, dtype, w.View, n0, nr, k0, kc, got, NR);
                    Pack(SimdTier.Scalar, dtype, w.View, n0, nr, k0, kc, want, NR);
                    for (int i = 0; i < kc * NR; i++)
                        if (BitConverter.SingleToInt32Bits(got[i]) != BitConverter.SingleToInt32Bits(want[i]))
                            Assert.Fail($"{dtype} {tier} rows {n0}+{nr} cols {k0}+{kc}: bp[{i / NR},{i % NR}] = {got[i]}, scalar {want[i]}");
                    // Spot-check the scalar pack against the dequantised weight (FP8 without its block scale).
                    float v = w.View.At(n0 + nr - 1, k0 + kc - 1);
                    if (dtype == DType.F8_E4M3) v /= w.View.ScaleInv[(n0 + nr - 1) / 128 * w.View.ScaleCols + (k0 + kc - 1) / 128];
                    Assert.Equal(v, want[(kc - 1) * NR + nr - 1], 6);
                    for (int j = nr; j < NR; j++) Assert.Equal(0f, got[j]);
                }
            }
    }

    private static unsafe void Pack(SimdTier tier, DType dtype, in WeightView w, int n0, int nr, int k0, int kc, float* bp, int NR)
    {
        switch (tier, dtype)
        {
            case (SimdTier.V512, DType.F32): MatMulPack.Pack<Vector512<float>, V512Ops, F32Load>(w, n0, nr, k0, kc, bp, NR); break;
            case (SimdTier.V512, DType.BF16): MatMulPack.Pack<Vector512<float>, V512Ops, Bf16Load>(w, n0, nr, k0, kc, bp, NR); break;
            case (SimdTier.V512, _): MatMulPack.Pack<Vector512<float>, V512Ops, Fp8Load>(w, n0, nr, k0, kc, bp, NR); break;
            case (SimdTier.V256, DType.F32): MatMulPack.Pack<Vector256<float>, V256Ops, F32Load>(w, n0, nr, k0, kc, bp, NR); break;
            case (SimdTier.V256, DType.BF16): MatMulPack.Pack<Vector256<float>, V256Ops, Bf16Load>(w, n0, nr, k0, kc, bp, NR); break;
            case (SimdTier.V256, _): MatMulPack.Pack<Vector256<float>, V256Ops, Fp8Load>(w, n0, nr, k0, kc, bp, NR); break;
            case (_, DType.F32): MatMulPack.Pack<float, ScalarOps, F32Load>(w, n0, nr, k0, kc, bp, NR); break;
            case (_, DType.BF16): MatMulPack.Pack<float, ScalarOps, Bf16Load>(w, n0, nr, k0, kc, bp, NR); break;
            default: MatMulPack.Pack<float, ScalarOps, Fp8Load>(w, n0, nr, k0, kc, bp, NR); break;
        }
    }
}
