using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>
/// The decode groups: BF16 pairs and FP8 quads widened without shuffles, and the x permutation that matches them,
/// each against its element-by-element twin at every vector width this machine runs.
/// </summary>
public unsafe class KernelGroupTests
{
    [Fact]
    public void Fp8QuadWideningIsExactForEveryCodeInEveryLane()
    {
        // 64 codes per group; 4 rotations put every code in every byte position of a 32-bit word.
        byte* codes = stackalloc byte[64];
        for (int start = 0; start < 256; start += 61)
            for (int rot = 0; rot < 4; rot++)
            {
                for (int i = 0; i < 64; i++)
                {
                    int b = (start + i + rot) & 0xFF;
                    codes[i] = (byte)((b & 0x7F) == 0x7F ? b ^ 1 : b); // no NaN codes
                }
                float Expect(int i) => Fp8E4M3.ToSingle(codes[i]);
                if (Simd.IsSupported(SimdTier.V512))
                {
                    V512Ops.LoadFp8Quad(codes, out var w0, out var w1, out var w2, out var w3);
                    var w = new[] { w0, w1, w2, w3 };
                    for (int j = 0; j < 4; j++)
                        for (int i = 0; i < 16; i++)
                            Assert.Equal(Expect(4 * i + j), w[j][i] * Simd.Fp8Rebias);
                }
                if (Simd.IsSupported(SimdTier.V256))
                {
                    V256Ops.LoadFp8Quad(codes + 32, out var w0, out var w1, out var w2, out var w3);
                    var w = new[] { w0, w1, w2, w3 };
                    for (int j = 0; j < 4; j++)
                        for (int i = 0; i < 8; i++)
                            Assert.Equal(Expect(32 + 4 * i + j), w[j][i] * Simd.Fp8Rebias);
                }
                ScalarOps.LoadFp8Quad(codes + 8, out float s0, out float s1, out float s2, out float s3);
                Assert.Equal([Expect(8), Expect(9), Expect(10), Expect(11)], new[] { s0, s1, s2, s3 }.Select(v => v * Simd.Fp8Rebias));
            }
        // Every code's sign and magnitude, including subnormals and the largest finite values (+-448).
        Assert.Equal(448f, Fp8E4M3.ToSingle(0x7E));
        for (int b = 0; b < 256; b++)
        {
            if ((b & 0x7F) == 0x7F) continue;
            for (int i = 0; i < 64; i++) codes[i] = (byte)b;
            if (Simd.IsSupported(SimdTier.V512))
            {
                V512Ops.LoadFp8Quad(codes, out var w0, out var w1, out var w2, out var w3);
                foreach (var v in new[] { w0, w1, w2, w3 }) Assert.Equal(Fp8E4M3.ToSingle((byte)b), v[7] * Simd.Fp8Rebias);
            }
        }
    }

    [Fact]
    public void Bf16PairSplitsEvenAndOddElementsExactly()
    {
        var rng = new Random(5);
        ushort* p = stackalloc ushort[32];
        for (int rep = 0; rep < 20; rep++)
        {
            for (int i = 0; i < 32; i++) p[i] = (ushort)rng.Next(65536);
            for (int i = 0; i < 32; i++) if ((p[i] & 0x7F80) == 0x7F80) p[i] &= 0xBFFF; // no Inf/NaN
            float E(int i) => BFloat16.ToSingle(p[i]);
            if (Simd.IsSupported(SimdTier.V512))
            {
                V512Ops.LoadBf16Pair(p, out var even, out var odd);
                for (int i = 0; i < 16; i++) { Assert.Equal(E(2 * i), even[i]); Assert.Equal(E(2 * i + 1), odd[i]); }
            }
            if (Simd.IsSupported(SimdTier.V256))
            {
                V256Ops.LoadBf16Pair(p + 16, out var even, out var odd);
                for (int i = 0; i < 8; i++) { Assert.Equal(E(16 + 2 * i), even[i]); Assert.Equal(E(16 + 2 * i + 1), odd[i]); }
            }
            ScalarOps.LoadBf16Pair(p + 4, out float e, out float o);
            Assert.Equal(E(4), e);
            Assert.Equal(E(5), o);
        }
    }

    [Theory]
    [InlineData(2, 16)]
    [InlineData(4, 16)]
    [InlineData(2, 8)]
    [InlineData(4, 8)]
    [InlineData(4, 1)]
    public void PermutedXMatchesItsTwin(int lanes, int count)
    {
        // Rows of odd length, chunks that are and are not a multiple of the group, scaled and not.
        foreach (var (cols, chunk) in new[] { (200, 128), (2048, 1024), (333, 48), (64, 64), (7, 128) })
            foreach (float scale in new[] { 1f, Simd.Fp8XScale })
            {
                int n = 3 * cols;
                var x = KernelCheck.Random(n, cols + chunk);
                var fast = new float[n];
                var twin = new float[n];
                fixed (float* px = x, pf = fast, pt = twin)
                {
                    GroupX.Permute(px, pf, n, cols, chunk, lanes, count, scale);
                    GroupX.PermuteScalar(px, pt, n, cols, chunk, lanes, count, scale);
                }
                Assert.Equal(twin, fast);
                // The twin is the permutation itself: lane j of a group holds every lanes-th column from j.
                int G = lanes * count;
                if (chunk >= G && cols >= G)
                    for (int j = 0; j < lanes; j++)
                        for (int i = 0; i < count; i++)
                            Assert.Equal(x[cols + lanes * i + j] * scale, twin[cols + j * count + i]);
            }
    }
}

/// <summary>The absorbed-attention latent mix (all heads' weighted sums of the cache rows) against its scalar twin.</summary>
public unsafe class KernelWeightedRowsTests
{
    [Theory]
    [InlineData(16, 37, 512, false)]
    [InlineData(16, 37, 512, true)]
    [InlineData(3, 1, 20, true)]
    [InlineData(9, 64, 100, false)]
    [InlineData(17, 5, 33, true)]
    public void VectorAndScalarTwinAgreeBitForBit(int H, int S, int C, bool bf16)
    {
        int ldm = C + 7, ldp = S + 3; // rows wider than the columns used, as the cache's [c_kv | k_pe] rows are
        var p = KernelCheck.Random(H * ldp, H + S);
        var mf = KernelCheck.Random(S * ldm, C);
        var mb = new ushort[mf.Length];
        for (int i = 0; i < mf.Length; i++) { mb[i] = BFloat16.FromSingle(mf[i]); mf[i] = BFloat16.ToSingle(mb[i]); }
        var fast = new float[H * C];
        var twin = new float[H * C];
        fixed (float* pp = p, pmf = mf, pf = fast, pt = twin)
        fixed (ushort* pmb = mb)
        {
            byte* m = bf16 ? (byte*)pmb : (byte*)pmf;
            WeightedRows.Run(pp, ldp, H, m, bf16, ldm, S, pf, C, 0, C);
            WeightedRows.RunScalar(pp, ldp, H, m, bf16, ldm, S, pt, C, 0, C);
            if (Simd.IsSupported(SimdTier.V256))
            {
                var v256 = new float[H * C];
                fixed (float* pv = v256) WeightedRows.Run<System.Runtime.Intrinsics.Vector256<float>, V256Ops>(pp, ldp, H, m, bf16, ldm, S, pv, C, 0, C);
                Assert.Equal(twin, v256);
            }
        }
        Assert.Equal(twin, fast);
        // And the twin is the product itself (BF16 rows widened exactly: mf holds their values).
        for (int h = 0; h < H; h += Math.Max(1, H / 3))
            for (int c = 0; c < C; c += Math.Max(1, C / 5))
            {
                double e = 0, mag = 0;
                for (int s = 0; s < S; s++) { double t = (double)p[h * ldp + s] * mf[s * ldm + c]; e += t; mag += Math.Abs(t); }
                Assert.True(Math.Abs(twin[h * C + c] - e) <= 1e-6 * (mag + 1e-30), $"h {h} c {c}: {twin[h * C + c]} vs {e}");
            }
    }
}

/// <summary>The absorbed-attention scores (every head against the cache rows) at every width against the scalar twin and a double-precision sum.</summary>
public unsafe class KernelLatentScoresTests
{
    [Theory]
    [InlineData(16, 37, 576, false)]
    [InlineData(16, 37, 576, true)]
    [InlineData(8, 2, 16, true)]
    [InlineData(3, 1, 20, true)]
    [InlineData(9, 64, 100, false)]
    [InlineData(17, 5, 33, true)]
    [InlineData(24, 11, 7, false)]
    public void EveryWidthMatchesTheProduct(int H, int S, int W, bool bf16)
    {
        int ldm = W + 5, ldq = W + 3, lds = S + 2;
        var q = KernelCheck.Random(H * ldq, H + W);
        var mf = KernelCheck.Random(S * ldm, S + 1);
        var mb = new ushort[mf.Length];
        for (int i = 0; i < mf.Length; i++) { mb[i] = BFloat16.FromSingle(mf[i]); if (bf16) mf[i] = BFloat16.ToSingle(mb[i]); }
        var fast = new float[H * lds];
        var twin = new float[H * lds];
        var v256 = new float[H * lds];
        fixed (float* pq = q, pmf = mf, pf = fast, pt = twin, pv = v256)
        fixed (ushort* pmb = mb)
        {
            byte* m = bf16 ? (byte*)pmb : (byte*)pmf;
            // In two position ranges, as the worker pool's items cut them.
            int cut = S / 3;
            LatentScores.Run(pq, ldq, H, m, bf16, ldm, W, pf, lds, 0, cut);
            LatentScores.Run(pq, ldq, H, m, bf16, ldm, W, pf, lds, cut, S);
            LatentScores.RunScalar(pq, ldq, H, m, bf16, ldm, W, pt, lds, 0, S);
            if (Simd.IsSupported(SimdTier.V256))
            {
                if (bf16) LatentScores.RunDots<System.Runtime.Intrinsics.Vector256<float>, V256Ops, Bf16Load>(pq, ldq, 0, H, m, ldm, W, pv, lds, 0, S);
                else LatentScores.RunDots<System.Runtime.Intrinsics.Vector256<float>, V256Ops, F32Load>(pq, ldq, 0, H, m, ldm, W, pv, lds, 0, S);
            }
        }
        for (int h = 0; h < H; h++)
            for (int s = 0; s < S; s++)
            {
                double e = 0, mag = 0;
                for (int c = 0; c < W; c++) { double t = (double)q[h * ldq + c] * mf[s * ldm + c]; e += t; mag += Math.Abs(t); }
                double tol = 1e-6 * mag + 1e-30;
                Assert.True(Math.Abs(twin[h * lds + s] - e) <= tol, $"twin h {h} s {s}: {twin[h * lds + s]} vs {e}");
                Assert.True(Math.Abs(fast[h * lds + s] - e) <= tol, $"fast h {h} s {s}: {fast[h * lds + s]} vs {e}");
                if (Simd.IsSupported(SimdTier.V256)) Assert.True(Math.Abs(v256[h * lds + s] - e) <= tol, $"v256 h {h} s {s}");
            }
        // Columns of scores outside [0, S) are not written.
        for (int h = 0; h < H; h++) Assert.Equal(0f, fast[h * lds + S]);
    }

    [Fact]
    public void ReductionTreeKeepsItsSixteenInputsApart()
    {
        if (!Simd.IsSupported(SimdTier.V512)) return;
        Assert.Equal(Enumerable.Range(0, 16), LatentScores.Reduce16Map.OrderBy(i => i));
    }
}
