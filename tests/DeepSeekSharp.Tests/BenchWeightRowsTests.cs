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
