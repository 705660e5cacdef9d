using Xunit.Abstractions;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Tests;

/// <summary>The FP8 quantisers and block-scaled GEMM against DeepSeek's kernels (../shared/fixtures/v3-fp8-tiny kern.*).</summary>
public class PrecisionQuantizerTests(ITestOutputHelper output)
{
    private static SafetensorsFile Reference() => SafetensorsFile.Open(Path.Combine(Fixtures.Dir("v3-fp8-tiny"), "reference.safetensors"));

    [Fact]
    public void ActQuantReproducesFixtureBytesAndScales()
    {
        using var r = Reference();
        var x = r.ReadF32("kern.act_in_bf16"); // (6, 512)
        var q = new byte[6 * 512];
        var s = new float[6 * 4];
        TileQuantizer.QuantizeBytes(x, 6, 512, q, s, Fp8ScaleFormat.Float, minAmax: 1e-4f);
        var wantQ = r.GetBytes("kern.act_q").ToArray();
        var wantS = r.ReadF32("kern.act_s");
        for (int i = 0, shown = 0; i < q.Length && shown < 10; i++)
            if (q[i] != wantQ[i]) { shown++; output.WriteLine($"q[{i / 512},{i % 512}] x={x[i]:R} ours {q[i]:X2} ({Fp8E4M3.ToSingle(q[i])}) want {wantQ[i]:X2} ({Fp8E4M3.ToSingle(wantQ[i])}) x/s={x[i] / s[i / 128]:R} s={s[i / 128]:R} wantS={wantS[i / 128]:R}"); }
        for (int i = 0; i < s.Length; i++) if (s[i] != wantS[i]) output.WriteLine($"s[{i}] ours {s[i]:R} want {wantS[i]:R}");
        Assert.Equal(r.GetBytes("kern.act_q").ToArray(), q);
        Assert.Equal(r.ReadF32("kern.act_s"), s);

        // The F32-code variant (what training uses) gives the same codes and scales.
        var codes = new float[6 * 512];
        var s2 = new float[6 * 4];
        TileQuantizer.Quantize(x, 6, 512, codes, 512, s2, Fp8ScaleFormat.Float, minAmax: 1e-4f);
        Assert.Equal(q.Select(Fp8E4M3.ToSingle).ToArray(), codes);
        Assert.Equal(s, s2);
    }

    [Fact]
    public void BlockQuantizerReproducesFixtureWeight()
    {
        using var r = Reference();
        var wq = r.GetBytes("kern.w_q").ToArray(); // (384, 512)
        var ws = r.ReadF32("kern.w_s");             // (3, 4)
        var w = Fp8BlockQuant.Dequantize(wq, ws, 384, 512);
        var codes = new float[384 * 512];
        var s = new float[12];
        BlockQuantizer.Quantize(w, 384, 512, codes, 512, s);
        Assert.Equal(ws, s);
        Assert.Equal(wq.Select(Fp8E4M3.ToSingle).ToArray(), codes);
    }

    [Fact]
    public void BlockScaledGemmMatchesOfficialWithinBf16Rounding()
    {
        using var r = Reference();
        var a = r.GetBytes("kern.act_q").ToArray().Select(Fp8E4M3.ToSingle).ToArray(); // (6, 512)
        var aS = r.ReadF32("kern.act_s");                                                 // (6, 4)
        var b = r.GetBytes("kern.w_q").ToArray().Select(Fp8E4M3.ToSingle).ToArray();   // (384, 512)
        var ws = r.ReadF32("kern.w_s");                                                   // (3, 4)
        var bS = new float[384 * 4];                                                      // (384, 4) per-row block scales
        for (int n = 0; n < 384; n++) ws.AsSpan(n / 128 * 4, 4).CopyTo(bS.AsSpan(n * 4, 4));
        var y = new float[6 * 384];
        Fp8Gemm.ScaledDot(a, aS, b, bS, y, 6, 384, 512, 512, accumulate: false);
        var official = r.ReadF32("kern.gemm_out_bf16");
        // The official kernel accumulates each 128-chunk on the tensor core in limited precision too, so where the
        // products cancel its output is itself a few BF16 ulps off the exact sum. Required: within one BF16 ulp of
        // the official output, plus an accumulator slack of 2^-13 of the sum of |products| (the 14-bit accumulator);
        // reported: how many elements are within one ulp outright.
        double worstUlps = 0, worstSlack = 0;
        int withinUlp = 0;
        for (int i = 0; i < y.Length; i++)
        {
            float o = official[i];
            double ulp = BFloat16Ulp(o);
            double absSum = 0;
            for (int k = 0; k < 512; k++) absSum += Math.Abs((double)a[i / 384 * 512 + k] * b[i % 384 * 512 + k]) * aS[i / 384 * 4 + k / 128] * bS[i % 384 * 4 + k / 128];
            double err = Math.Abs(y[i] - o);
            if (err <= ulp) withinUlp++;
            worstUlps = Math.Max(worstUlps, err / Math.Max(ulp, 1e-30));
            worstSlack = Math.Max(worstSlack, Math.Max(0, err - ulp) / absSum);
            Assert.True(err <= ulp + Math.ScaleB(absSum, -13), $"element {i}: ours {y[i]} official {o} (sum of |products| {absSum})");
        }
        output.WriteLine($"block-scaled GEMM vs official fp8_gemm: {withinUlp} of {y.Length} within one BF16 ulp; worst {worstUlps:F2} ulps, excess over one ulp at most {worstSlack:E2} x sum|products|");
        Assert.True(withinUlp >= y.Length * 95 / 100, $"{withinUlp} of {y.Length} within one ulp");
    }

    private static double BFloat16Ulp(float v)
    {
        if (v == 0) return 0;
        int e = Math.ILogB(v);
        return Math.ScaleB(1.0, e - 7);
    }

    [Theory]
    [InlineData(Fp8ScaleFormat.Float)]
    [InlineData(Fp8ScaleFormat.Ue8m0)]
    public void ScalesMapTheTileMaximumIntoRange(Fp8ScaleFormat format)
    {
        var rng = new Random(3);
        var x = Enumerable.Range(0, 3 * 300).Select(i => (float)((rng.NextDouble() - 0.5) * Math.Pow(10, i % 7 - 3))).ToArray();
        x.AsSpan(300, 300).Clear(); // a zero row
        var codes = new float[3 * 304];
        var s = new float[3 * 3];
        TileQuantizer.Quantize(x, 3, 300, codes, 304, s, format);
        for (int row = 0; row < 3; row++)
        {
            for (int t = 0; t < 3; t++)
            {
                float sc = s[row * 3 + t];
                var tile = x.AsSpan(row * 300 + t * 128, Math.Min(128, 300 - t * 128));
                float amax = tile.ToArray().Max(Math.Abs);
                if (amax == 0) { Assert.Equal(1f, sc); continue; }
                if (format == Fp8ScaleFormat.Ue8m0)
                {
                    Assert.Equal(0u, BitConverter.SingleToUInt32Bits(sc) & 0x7FFFFFu); // a power of two
                    Assert.InRange(amax / sc, 224f, 448f);
                }
                else Assert.Equal(amax * (1f / 448f), sc);
                for (int i = 0; i < tile.Length; i++)
                {
                    float c = codes[row * 304 + t * 128 + i];
                    Assert.True(float.IsFinite(c) && Math.Abs(c) <= 448f);
                    Assert.True(Math.Abs(c * sc - tile[i]) <= Math.Abs(tile[i]) / 16 + sc * Math.ScaleB(1f, -9) * 1.0001f, $"({row}, {t}, {i})");
                }
            }
            Assert.All(codes.AsSpan(row * 304 + 300, 4).ToArray(), c => Assert.Equal(0f, c)); // padding
        }
    }
}
