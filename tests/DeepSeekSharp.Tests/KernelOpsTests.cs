using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>The vectorised <see cref="Ops"/> against their scalar twins in <see cref="OpsScalar"/>.</summary>
public class KernelOpsTests
{
    private static readonly int[] Sizes = [1, 2, 7, 8, 15, 16, 17, 33, 64, 100, 513, 7168];

    private static void Close(float expect, float actual, double tol, string what)
    {
        if (!(Math.Abs((double)expect - actual) <= tol))
            Assert.Fail($"{what}: {actual} vs scalar twin {expect} (tolerance {tol})");
    }

    [Fact]
    public void ArgMaxAgreesOnTiesNaNInfinitiesAndSignedZeros()
    {
        var rng = new Random(5);
        Assert.Equal(-1, Ops.ArgMax([]));
        Assert.Equal(-1, OpsScalar.ArgMax([]));
        foreach (int n in Sizes.Append(163_840))
            for (int c = 0; c < 12; c++)
            {
                // Few distinct values, so the maximum repeats: the first of equals must win.
                var x = new float[n];
                for (int i = 0; i < n; i++) x[i] = rng.Next(7) - 3;
                if (c == 1) Array.Fill(x, float.NegativeInfinity);
                if (c == 2) x[rng.Next(n)] = float.PositiveInfinity;
                if (c == 3) x[rng.Next(n)] = float.NaN;
                if (c == 4) { x[rng.Next(n)] = float.NaN; x[rng.Next(n)] = float.NaN; }
                if (c == 5) { Array.Fill(x, -1f); x[rng.Next(n)] = -0f; x[rng.Next(n)] = 0f; }
                if (c == 6) x[n - 1] = 100; // in the scalar tail past the last full vector
                if (c == 7) x[0] = 100;
                if (c >= 8) for (int i = 0; i < n; i++) x[i] = (float)rng.NextDouble();
                int expect = OpsScalar.ArgMax(x);
                Assert.True(expect == Ops.ArgMax(x), $"n={n} case {c}: {Ops.ArgMax(x)} vs scalar twin {expect}");
            }
    }

    [Fact]
    public void RmsNormAgrees()
    {
        foreach (int n in Sizes)
            foreach (int T in new[] { 1, 3 })
            {
                var x = KernelCheck.Random(T * n, n, 3f);
                var w = KernelCheck.Random(n, n + 1);
                var a = new float[T * n];
                var b = new float[T * n];
                Ops.RmsNorm(x, w, a, n, 1e-6f);
                OpsScalar.RmsNorm(x, w, b, n, 1e-6f);
                for (int i = 0; i < a.Length; i++) Close(b[i], a[i], 1e-6 * Math.Abs(b[i]) + 1e-30, $"rmsnorm n={n}");
            }
    }

    [Fact]
    public void SoftmaxAgrees()
    {
        foreach (int n in Sizes)
        {
            var a = KernelCheck.Random(n, n, 20f);
            var b = (float[])a.Clone();
            Ops.Softmax(a);
            OpsScalar.Softmax(b);
            for (int i = 0; i < n; i++) Close(b[i], a[i], 1e-6 * Math.Abs(b[i]) + 1e-38, $"softmax n={n}");
        }
        Ops.Softmax(Span<float>.Empty);
    }

    [Fact]
    public void SiluMulAgrees()
    {
        foreach (int n in Sizes)
        {
            var g = KernelCheck.Random(n, n, 12f);
            var u = KernelCheck.Random(n, n + 7);
            var a = new float[n];
            var b = new float[n];
            Ops.SiluMul(g, u, a);
            OpsScalar.SiluMul(g, u, b);
            for (int i = 0; i < n; i++) Close(b[i], a[i], 1e-6 * Math.Abs(b[i]) + 1e-38, $"silu n={n}");
        }
    }

    [Fact]
    public void RopeAgrees()
    {
        foreach (int half in new[] { 1, 3, 8, 13, 32, 64 })
        {
            var x = KernelCheck.Random(2 * half + 5, half);
            var y = (float[])x.Clone();
            var ang = KernelCheck.Random(half, half + 1, 3f);
            var cos = ang.Select(MathF.Cos).ToArray();
            var sin = ang.Select(MathF.Sin).ToArray();
            Ops.RopeInterleaved(x, cos, sin);
            OpsScalar.RopeInterleaved(y, cos, sin);
            Assert.Equal(y, x); // the same products and sums: identical
        }
    }

    [Fact]
    public void DotAndAxpyAgree()
    {
        foreach (int n in Sizes)
        {
            var a = KernelCheck.Random(n, n);
            var b = KernelCheck.Random(n, n + 3);
            double mag = 0;
            for (int i = 0; i < n; i++) mag += Math.Abs((double)a[i] * b[i]);
            Close(OpsScalar.Dot(a, b), Ops.Dot(a, b), 1e-5 * mag, $"dot n={n}");

            var y1 = KernelCheck.Random(n, n + 5);
            var y2 = (float[])y1.Clone();
            Ops.Axpy(0.37f, a, y1);
            OpsScalar.Axpy(0.37f, a, y2);
            for (int i = 0; i < n; i++) Close(y2[i], y1[i], 1e-6 * (Math.Abs(y2[i]) + Math.Abs(0.37 * a[i])), $"axpy n={n}");
        }
    }
}
