using Xunit.Abstractions;
using DeepSeekSharp.Training;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Tests;

/// <summary>The promoted-accumulation FP8 GEMM: its scalar twin, the E4M3 error bound, and the effect of promotion.</summary>
public class PrecisionGemmTests(ITestOutputHelper output)
{
    private static float[] Randn(Random rng, int n, double mean, double std) =>
        Enumerable.Range(0, n).Select(_ => (float)(mean + std * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();

    /// <summary>Quantises (rows, J) per 1 x 128 tile: codes (rows, stride), scales (rows, chunks).</summary>
    private static (float[] Codes, float[] Scales, int Stride) Q(float[] x, int rows, int J)
    {
        int stride = Fp8Gemm.Stride(J);
        var c = new float[rows * stride];
        var s = new float[rows * Fp8Gemm.Chunks(J)];
        TileQuantizer.Quantize(x, rows, J, c, stride, s);
        return (c, s, stride);
    }

    [Theory]
    [InlineData(5, 7, 300, 1)]
    [InlineData(4, 8, 128, 2)]
    [InlineData(9, 13, 40, 2)]
    public void KernelMatchesScalarTwin(int R, int C, int J, int threads)
    {
        var rng = new Random(R * 100 + C);
        var (a, aS, stride) = Q(Randn(rng, R * J, 0, 3), R, J);
        var (b, bS, _) = Q(Randn(rng, C * J, 0.5, 1), C, J);
        var y = Enumerable.Repeat(1f, R * C).ToArray();
        int old = Gemm.Threads;
        Gemm.Threads = threads;
        try { Fp8Gemm.ScaledDot(a, aS, b, bS, y, R, C, J, stride, accumulate: true); }
        finally { Gemm.Threads = old; }
        int nq = Fp8Gemm.Chunks(J);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
            {
                float want = 1f + Fp8GemmReference.Dot(a.AsSpan(r * stride, stride), aS.AsSpan(r * nq, nq), b.AsSpan(c * stride, stride), bS.AsSpan(c * nq, nq), J, promote: true);
                Assert.True(Math.Abs(y[r * C + c] - want) <= 1e-5f * (1 + Math.Abs(want)), $"({r}, {c}): {y[r * C + c]} vs {want}");
            }
    }

    [Fact]
    public void PromotedAccumulationIsWithinE4M3BoundAndBeatsUnpromotedOnLongK()
    {
        const int K = 4096, R = 4, C = 4;
        var rng = new Random(7);
        // Large positive values: the sums grow with K, which is where a 14-bit accumulator loses most.
        var x = Randn(rng, R * K, 40, 10);
        var w = Randn(rng, C * K, 20, 5);
        var (a, aS, stride) = Q(x, R, K);
        var (b, bS, _) = Q(w, C, K);
        var y = new float[R * C];
        Fp8Gemm.ScaledDot(a, aS, b, bS, y, R, C, K, stride, accumulate: false);
        int nq = Fp8Gemm.Chunks(K);
        double worstPromoted = 0, worstUnpromoted = 0;
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
            {
                double exact = 0, absSum = 0, dequant = 0;
                for (int k = 0; k < K; k++)
                {
                    exact += (double)x[r * K + k] * w[c * K + k];
                    absSum += Math.Abs((double)x[r * K + k] * w[c * K + k]);
                    dequant += (double)a[r * stride + k] * aS[r * nq + k / 128] * b[c * stride + k] * bS[c * nq + k / 128];
                }
                // E4M3 keeps 3 fraction bits: each input is off by at most 2^-4 relative, a product by 2^-3 + 2^-8.
                double bound = (Math.ScaleB(1, -3) + Math.ScaleB(1, -8)) * absSum;
                Assert.True(Math.Abs(y[r * C + c] - exact) <= bound, $"({r}, {c}): |{y[r * C + c]} - {exact}| > {bound}");
                float unpromoted = Fp8GemmReference.Dot(a.AsSpan(r * stride, stride), aS.AsSpan(r * nq, nq), b.AsSpan(c * stride, stride), bS.AsSpan(c * nq, nq), K, promote: false);
                worstPromoted = Math.Max(worstPromoted, Math.Abs(y[r * C + c] - dequant) / Math.Abs(dequant));
                worstUnpromoted = Math.Max(worstUnpromoted, Math.Abs(unpromoted - dequant) / Math.Abs(dequant));
            }
        output.WriteLine($"K = {K}: accumulation error vs the exact product of the quantised inputs: promoted every 128 {worstPromoted:E2}, 14-bit throughout {worstUnpromoted:E2}");
        Assert.True(worstPromoted < 2e-3, $"promoted {worstPromoted}");
        Assert.True(worstUnpromoted > 4 * worstPromoted, $"promotion should help: promoted {worstPromoted:E2}, unpromoted {worstUnpromoted:E2}");
    }

    [Fact]
    public void PolicyGemmsStayCloseToF32()
    {
        // Two linear layers of a tiny model: W (N, K) = (200, 300) crosses block edges; 150 tokens cross a tile edge.
        const int M = 150, N = 200, K = 300;
        var config = Modeling.ModelConfig.Load(Fixtures.Dir("v3-tiny"));
        var w = new ParamTensor("model.layers.0.mlp.up_proj.weight", 0, N, K, true, true);
        var rng = new Random(11);
        var wv = Randn(rng, N * K, 0, 0.05);
        var x = Randn(rng, M * K, 0, 1);
        var dy = Randn(rng, M * N, 0, 1e-4); // gradients are small: scales must follow them down
        var holder = new ParameterSet(config, includeMtp: false);
        wv.CopyTo(holder.Data, 0);
        foreach (var (precision, scales) in new[] { (TrainPrecision.Bf16, Fp8ScaleFormat.Float), (TrainPrecision.Fp8, Fp8ScaleFormat.Float), (TrainPrecision.Fp8, Fp8ScaleFormat.Ue8m0) })
        {
            var pol = new PrecisionPolicy(holder, precision, scales);
            var y = new float[M * N]; var yRef = new float[M * N];
            pol.Forward(x, w, y, M);
            Gemm.Forward(x, wv, yRef, M, N, K);
            var dx = new float[M * K]; var dxRef = new float[M * K];
            pol.AccumulateInput(dy, w, dx, M);
            Gemm.AccumulateInput(dy, wv, dxRef, M, N, K);
            Array.Clear(holder.Grad);
            pol.AccumulateWeight(dy, x, w, M);
            var dw = holder.Grad.AsSpan(0, N * K).ToArray();
            var dwRef = new float[N * K];
            Gemm.AccumulateWeight(dy, x, dwRef, M, N, K);
            double ey = RelFro(y, yRef), edx = RelFro(dx, dxRef), edw = RelFro(dw, dwRef);
            output.WriteLine($"{precision} ({scales} scales): relative Frobenius error Fprop {ey:E2}, Dgrad {edx:E2}, Wgrad {edw:E2}");
            double limit = precision == TrainPrecision.Bf16 ? 0.01 : 0.06;
            Assert.InRange(ey, 1e-7, limit);
            Assert.InRange(edx, 1e-7, limit);
            Assert.InRange(edw, 1e-7, limit);
        }
    }

    [Fact]
    public void Bf16PolicyEqualsF32GemmOnRoundedInputs()
    {
        var config = Modeling.ModelConfig.Load(Fixtures.Dir("v3-tiny"));
        var p = new ParameterSet(config, includeMtp: false);
        var head = p.Tensors.Single(t => t.Name == ParameterSet.HeadName(config));
        var rng = new Random(5);
        Randn(rng, head.Length, 0, 0.1).CopyTo(p.Data, (int)head.Offset);
        int M = 9, D = head.Cols;
        var x = Randn(rng, M * D, 0, 1);
        var y = new float[M * head.Rows];
        new PrecisionPolicy(p, TrainPrecision.Fp8).Forward(x, head, y, M); // the head is not an FP8 linear: BF16
        var xr = x.Select(Numerics.BFloat16.Round).ToArray();
        var wr = p.Data.AsSpan((int)head.Offset, head.Length).ToArray().Select(Numerics.BFloat16.Round).ToArray();
        var want = new float[M * head.Rows];
        Gemm.Forward(xr, wr, want, M, head.Rows, D);
        Assert.Equal(want, y);
        Assert.False(PrecisionPolicy.IsFp8Linear(head));
        Assert.True(PrecisionPolicy.IsFp8Linear(p.Tensors.Single(t => t.Name == "model.layers.1.self_attn.o_proj.weight")));
        Assert.False(PrecisionPolicy.IsFp8Linear(p.Tensors.Single(t => t.Name == "model.layers.1.mlp.gate.weight")));
    }

    internal static double RelFro(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double d = 0, n = 0;
        for (int i = 0; i < a.Length; i++)
        {
            d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
            n += (double)b[i] * b[i];
        }
        return Math.Sqrt(d / Math.Max(n, 1e-300));
    }
}
