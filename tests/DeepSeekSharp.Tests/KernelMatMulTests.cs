using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>The SIMD MatMul kernels against their scalar twin, at every vector width this machine runs.</summary>
public class KernelMatMulTests
{
    private static readonly (int Rows, int Cols)[] Shapes = [(1, 1), (5, 7), (17, 33), (64, 128), (130, 200), (192, 144), (33, 260), (7, 640), (9, MatMulRows.SequentialMaxCols + 52), (5, MatMulRows.SequentialMaxColsWide + 52)];
    private static readonly int[] Ts = [1, 2, 3, 7, 16, 33];

    public static TheoryData<DType, int> Cases()
    {
        var d = new TheoryData<DType, int>();
        foreach (var dt in new[] { DType.F32, DType.BF16, DType.F8_E4M3 })
            foreach (var tier in new[] { SimdTier.Scalar, SimdTier.V256, SimdTier.V512 })
                d.Add(dt, (int)tier);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BothPathsAgreeWithScalarTwin(DType dtype, int tierCode)
    {
        var tier = (SimdTier)tierCode;
        if (!Simd.IsSupported(tier)) return; // covered where the machine has it
        int seed = 1;
        foreach (var (rows, cols) in Shapes)
        {
            using var w = new TestWeight(dtype, rows, cols, seed++);
            foreach (int T in Ts)
            {
                var x = KernelCheck.Random(T * cols, seed++);
                var y = new float[T * rows];
                foreach (var path in new[] { MatMulPath.Rows, MatMulPath.Gemm })
                {
                    if (path == MatMulPath.Rows && T > MatMulRows.MaxT) continue;
                    Array.Fill(y, float.NaN);
                    MatMul.Forward(w.View, x, y, T, tier, path, pool: null);
                    KernelCheck.MatMulAgrees(w.View, x, y, T, $"{dtype} {tier} {path} {rows}x{cols} T={T}");
                }
            }
        }
    }

    [Theory]
    [InlineData(128, 128)]
    [InlineData(64, 48)]   // blocks not a multiple of the vector width: scalar tails inside every block
    [InlineData(1, 16)]
    public void Fp8PartialBlocksAgree(int blockRows, int blockCols)
    {
        using var w = new TestWeight(DType.F8_E4M3, 192, 144, 7, blockRows, blockCols);
        foreach (var tier in new[] { SimdTier.Scalar, SimdTier.V256, SimdTier.V512 })
        {
            if (!Simd.IsSupported(tier)) continue;
            foreach (int T in Ts)
            {
                var x = KernelCheck.Random(T * 144, T);
                var y = new float[T * 192];
                foreach (var path in new[] { MatMulPath.Rows, MatMulPath.Gemm })
                {
                    if (path == MatMulPath.Rows && T > MatMulRows.MaxT) continue;
                    MatMul.Forward(w.View, x, y, T, tier, path, pool: null);
                    KernelCheck.MatMulAgrees(w.View, x, y, T, $"fp8 {blockRows}x{blockCols} {tier} {path} T={T}");
                }
            }
        }
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F8_E4M3)]
    public void ParallelProductsAgree(DType dtype)
    {
        using var pool = new WorkerPool(3);
        using var w = new TestWeight(dtype, 301, 260, 11);
        foreach (int T in new[] { 1, 3, 40 })
        {
            var x = KernelCheck.Random(T * 260, T + 100);
            var y = new float[T * 301];
            MatMul.Forward(w.View, x, y, T, Simd.Best, MatMulPath.Auto, pool);
            KernelCheck.MatMulAgrees(w.View, x, y, T, $"{dtype} parallel T={T}");
            Array.Clear(y);
            MatMul.Forward(w.View, x, y, T); // the public entry, shared pool
            KernelCheck.MatMulAgrees(w.View, x, y, T, $"{dtype} shared T={T}");
        }
    }

    /// <summary>
    /// A token's products do not depend on the batch it is in: T = 1 (rows read one after the other for short rows,
    /// four rows in flight for long ones) equals every row of T = 2..4 bit for bit, which batched and speculative
    /// decoding rely on for greedy outputs identical to plain decoding.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodeEqualsEachRowOfASmallBatchBitForBit(DType dtype, int tierCode)
    {
        var tier = (SimdTier)tierCode;
        if (!Simd.IsSupported(tier)) return;
        // FP8 also with row blocks of 1 and 3 rows (row pairs and four-row groups straddle blocks, so each row reads the x
        // of its own block) and 48-column blocks (every block ends in a scalar tail).
        var blocks = dtype == DType.F8_E4M3 ? new[] { (128, 128), (3, 128), (1, 48) } : new[] { (128, 128) };
        foreach (var (br, bc) in blocks)
        foreach (int cols in new[] { 200, MatMulRows.SequentialMaxCols, MatMulRows.SequentialMaxCols + 52, MatMulRows.SequentialMaxColsWide + 52 })
        {
            using var w = new TestWeight(dtype, 37, cols, cols, br, bc);
            foreach (int T in new[] { 2, 3, 4 })
            {
                var x = KernelCheck.Random(T * cols, T);
                var y = new float[T * 37];
                MatMul.Forward(w.View, x, y, T, tier, MatMulPath.Rows, pool: null);
                var y1 = new float[37];
                for (int t = 0; t < T; t++)
                {
                    MatMul.Forward(w.View, x.AsSpan(t * cols, cols), y1, 1, tier, MatMulPath.Rows, pool: null);
                    for (int r = 0; r < 37; r++)
                        Assert.True(BitConverter.SingleToInt32Bits(y[t * 37 + r]) == BitConverter.SingleToInt32Bits(y1[r]),
                            $"{dtype} {tier} blocks {br}x{bc} cols {cols} T={T} token {t} row {r}: {y[t * 37 + r]} vs {y1[r]}");
                }
            }
        }
    }

    [Theory]
    [InlineData(DType.F8_E4M3)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F32)]
    public void TwoProductsInOneRegionEqualTwoCallsBitForBit(DType dtype)
    {
        const int cols = 640;
        using var a = new TestWeight(dtype, 301, cols, 11);
        using var b = new TestWeight(dtype, 77, cols, 12);
        foreach (int T in new[] { 1, 3, 17 }) // 17: past the decode kernels, two plain calls
        {
            var x = KernelCheck.Random(T * cols, T + 40);
            var ya = new float[T * 301];
            var yb = new float[T * 77];
            MatMul.ForwardTwo(a.View, ya, b.View, yb, x, T);
            var ea = new float[T * 301];
            var eb = new float[T * 77];
            MatMul.Forward(a.View, x, ea, T);
            MatMul.Forward(b.View, x, eb, T);
            Assert.Equal(ea.Select(BitConverter.SingleToInt32Bits), ya.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(eb.Select(BitConverter.SingleToInt32Bits), yb.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public unsafe void Fp8WideningIsExactForEveryFiniteCode()
    {
        for (int b = 0; b < 256; b++)
        {
            if ((b & 0x7F) == 0x7F) continue;
            byte v = (byte)b;
            Assert.Equal(Fp8E4M3.ToSingle(v), Fp8Load.Load1(&v, 0));
        }
        byte* codes = stackalloc byte[16];
        for (int b0 = 0; b0 < 256; b0 += 16)
        {
            for (int i = 0; i < 16; i++) codes[i] = (byte)((b0 + i) == 0x7F || (b0 + i) == 0xFF ? 0 : b0 + i);
            if (Simd.IsSupported(SimdTier.V512))
            {
                var v = V512Ops.LoadFp8(codes);
                for (int i = 0; i < 16; i++) Assert.Equal(Fp8E4M3.ToSingle(codes[i]), v[i] * Simd.Fp8Rebias);
            }
            if (Simd.IsSupported(SimdTier.V256))
            {
                var v = V256Ops.LoadFp8(codes + 8);
                for (int i = 0; i < 8; i++) Assert.Equal(Fp8E4M3.ToSingle(codes[8 + i]), v[i] * Simd.Fp8Rebias);
            Assert.Equal(Fp8E4M3.ToSingle(codes[3]), ScalarOps.LoadFp8(codes + 3) * Simd.Fp8Rebias);
            }
        }
    }

    [Fact]
    public void ShapeErrorsAreReported()
    {
        using var w = new TestWeight(DType.F32, 4, 8, 1);
        Assert.Throws<ArgumentException>(() => MatMul.Forward(w.View, new float[7], new float[4], 1));
        Assert.Throws<ArgumentException>(() => MatMul.Forward(w.View, new float[8], new float[3], 1));
    }
}
