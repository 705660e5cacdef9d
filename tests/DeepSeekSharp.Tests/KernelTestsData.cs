using System.Runtime.InteropServices;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>A random weight matrix in native memory (F32, BF16, or FP8 E4M3 with block scales) for kernel tests.</summary>
internal sealed unsafe class TestWeight : IDisposable
{
    private readonly byte* _data;
    private readonly float* _scales;

    public TestWeight(DType dtype, int rows, int cols, int seed, int blockRows = 128, int blockCols = 128)
    {
        var rng = new Random(seed);
        long n = (long)rows * cols;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, n * DTypes.SizeOf(dtype)), 64);
        for (long i = 0; i < n; i++)
        {
            float v = (float)(rng.NextDouble() * 2 - 1);
            switch (dtype)
            {
                case DType.F32: ((float*)_data)[i] = v; break;
                case DType.BF16: ((ushort*)_data)[i] = BFloat16.FromSingle(v); break;
                default:
                    byte b;
                    do b = (byte)rng.Next(256); while ((b & 0x7F) == 0x7F); // every finite code, subnormals included
                    _data[i] = b;
                    break;
            }
        }
        if (dtype == DType.F8_E4M3)
        {
            int sr = (rows + blockRows - 1) / blockRows, sc = (cols + blockCols - 1) / blockCols;
            _scales = (float*)NativeMemory.Alloc((nuint)Math.Max(1, sr * sc * 4));
            for (int i = 0; i < sr * sc; i++) _scales[i] = (float)((0.5 + rng.NextDouble()) / 256);
        }
        View = new WeightView(dtype, _data, rows, cols, _scales, blockRows, blockCols);
    }

    public WeightView View { get; }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        if (_scales != null) NativeMemory.Free(_scales);
    }
}

internal static class KernelCheck
{
    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>
    /// Asserts y matches the scalar twin within float reassociation: |y - ref| &lt;= 1e-5 * sum_c |x[t,c] w[r,c]|.
    /// </summary>
    public static void MatMulAgrees(in WeightView w, float[] x, float[] y, int T, string what)
    {
        var expect = new float[T * w.Rows];
        MatMulScalar.Forward(w, x, expect, T);
        var row = new float[w.Cols];
        for (int r = 0; r < w.Rows; r++)
        {
            w.ReadRow(r, row);
            for (int t = 0; t < T; t++)
            {
                double mag = 0;
                for (int c = 0; c < w.Cols; c++) mag += Math.Abs((double)x[t * w.Cols + c] * row[c]);
                double err = Math.Abs((double)y[t * w.Rows + r] - expect[t * w.Rows + r]);
                if (!(err <= 1e-5 * mag + 1e-30))
                    Assert.Fail($"{what}: y[{t},{r}] = {y[t * w.Rows + r]}, scalar twin {expect[t * w.Rows + r]}, sum|terms| {mag}");
            }
        }
    }
}
