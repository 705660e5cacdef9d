using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>The row kernels of the fast absorbed MLA against the element-by-element reference (WeightView.At).</summary>
public unsafe class BenchWeightRowsTests
{
    [Theory]
    [InlineData(DType.F32, 40, 37)]
    [InlineData(DType.BF16, 40, 70)]
    [InlineData(DType.F8_E4M3, 300, 260)]
    [InlineData(DType.F8_E4M3, 256, 512)]
    public void AccumulateAndDotsMatchTheReference(DType dtype, int rows, int cols)
    {
        var rng = new Random(3);
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * (1 + i % 7);
        var (q, s) = Fp8BlockQuant.Quantize(w, rows, cols);
        var bf = new ushort[w.Length];
        BFloat16.FromSingle(w, bf);
        fixed (float* pw = w)
        fixed (byte* pq = q)
        fixed (float* ps = s)
        fixed (ushort* pb = bf)
        {
            var view = dtype switch
            {
                DType.F32 => new WeightView(DType.F32, (byte*)pw, rows, cols),
                DType.BF16 => new WeightView(DType.BF16, (byte*)pb, rows, cols),
                _ => new WeightView(DType.F8_E4M3, pq, rows, cols, ps),
            };
            int r0 = rows / 3, n = Math.Min(19, rows - r0);
            var coef = Enumerable.Range(0, n).Select(i => (float)(rng.NextDouble() - 0.5)).ToArray();
            var acc = new float[cols];
            var refAcc = new float[cols];
            for (int c = 0; c < cols; c++) acc[c] = refAcc[c] = c * 0.01f;
            WeightRows.Accumulate(view, r0, coef, acc);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < cols; c++) refAcc[c] += coef[i] * view.At(r0 + i, c);
            ForwardFixtureTests.AssertClose(refAcc, acc, $"{dtype} Accumulate", 1e-5);

            var v = Enumerable.Range(0, cols).Select(i => (float)(rng.NextDouble() - 0.5)).ToArray();
            var dots = new float[n];
            var refDots = new float[n];
            WeightRows.Dots(view, r0, v, dots);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < cols; c++) refDots[i] += view.At(r0 + i, c) * v[c];
            ForwardFixtureTests.AssertClose(refDots, dots, $"{dtype} Dots", 1e-5);
            Assert.Throws<ArgumentException>(() => WeightRows.Dots(view, rows - 1, v, new float[2]));
        }
    }
}

/// <summary>W_UK's accumulate takes every row in order with one fused multiply-add per column on every vector path (register chunks, four-row passes, tails), so 512- and 256-bit agree bit for bit; the scalar tier (unfused) to rounding.</summary>
public unsafe class WeightRowsAccumulatePathTests
{
    [Theory]
    [InlineData(DType.F8_E4M3, 128, 512)]
    [InlineData(DType.F8_E4M3, 37, 200)] // a chunk, then columns left over inside a scale block
    [InlineData(DType.BF16, 21, 300)]
    [InlineData(DType.F32, 9, 129)]
    public void EveryWidthGivesTheSameBits(DType dtype, int n, int cols)
    {
        int rows = n + 5;
        var rng = new Random(11);
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * (1 + i % 5);
        var (q, s) = Fp8BlockQuant.Quantize(w, rows, cols);
        var bf = new ushort[w.Length];
        BFloat16.FromSingle(w, bf);
        var coef = Enumerable.Range(0, n).Select(i => (float)(rng.NextDouble() - 0.5)).ToArray();
        var init = Enumerable.Range(0, cols).Select(c => c * 0.01f - 1).ToArray();
        float[] Run(Func<WeightView, float[], bool> kernel)
        {
            var acc = (float[])init.Clone();
            fixed (float* pw = w) fixed (byte* pq = q) fixed (float* ps = s) fixed (ushort* pb = bf)
            {
                var view = dtype switch
                {
                    DType.F32 => new WeightView(DType.F32, (byte*)pw, rows, cols),
                    DType.BF16 => new WeightView(DType.BF16, (byte*)pb, rows, cols),
                    _ => new WeightView(DType.F8_E4M3, pq, rows, cols, ps),
                };
                kernel(view, acc);
            }
            return acc;
        }
        bool Scalar(WeightView v, float[] acc)
        {
            fixed (float* pc = coef, pa = acc)
                switch (dtype)
                {
                    case DType.F32: WeightRows.Acc<float, ScalarOps, F32Load>(v, 2, n, pc, pa); break;
                    case DType.BF16: WeightRows.Acc<float, ScalarOps, Bf16Load>(v, 2, n, pc, pa); break;
                    default: WeightRows.Acc<float, ScalarOps, Fp8Load>(v, 2, n, pc, pa); break;
                }
            return true;
        }
        bool V256(WeightView v, float[] acc)
        {
            fixed (float* pc = coef, pa = acc)
                switch (dtype)
                {
                    case DType.F32: WeightRows.Acc<System.Runtime.Intrinsics.Vector256<float>, V256Ops, F32Load>(v, 2, n, pc, pa); break;
                    case DType.BF16: WeightRows.Acc<System.Runtime.Intrinsics.Vector256<float>, V256Ops, Bf16Load>(v, 2, n, pc, pa); break;
                    default: WeightRows.Acc<System.Runtime.Intrinsics.Vector256<float>, V256Ops, Fp8Load>(v, 2, n, pc, pa); break;
                }
            return true;
        }
        var twin = Run(Scalar);
        var best = Run((v, acc) => { WeightRows.Accumulate(v, 2, coef, acc); return true; });
        if (Simd.IsSupported(SimdTier.V256)) Assert.Equal(Run(V256), best);
        ForwardFixtureTests.AssertClose(twin, best, $"{dtype} scalar tier", 1e-5);
    }
}
