using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

/// <summary>The forward pass against the PyTorch / transformers references of ../shared/fixtures.</summary>
public class ForwardFixtureTests
{
    internal static void AssertClose(float[] reference, ReadOnlySpan<float> ours, string what, double relTol = 1e-4)
    {
        Assert.Equal(reference.Length, ours.Length);
        double maxRef = 0, maxDiff = 0;
        int at = -1;
        for (int i = 0; i < reference.Length; i++)
        {
            maxRef = Math.Max(maxRef, Math.Abs(reference[i]));
            double d = Math.Abs(reference[i] - ours[i]);
            if (!(d <= maxDiff)) { maxDiff = d; at = i; }
        }
        double tol = relTol * Math.Max(1, maxRef);
        Assert.True(maxDiff <= tol, $"{what}: max |ours - ref| = {maxDiff:E3} at {at} (ref {reference[Math.Max(at, 0)]}, ours {ours[Math.Max(at, 0)]}) > {tol:E3}");
    }

    public static TheoryData<string, string> Prompts() => new()
    {
        { "v3-tiny", "p0" }, { "v3-tiny", "p1" }, { "v3-tiny", "p2" },
        { "v2-lite-tiny", "p0" }, { "v2-lite-tiny", "p1" },
    };

    [Theory]
    [MemberData(nameof(Prompts))]
    public void LogitsMatchReference(string model, string p)
    {
        using var m = Transformer.Load(Fixtures.Dir(model));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        var ids = r.ReadI32($"{p}.input_ids");
        foreach (var mode in new[] { AttentionMode.Naive, AttentionMode.Absorb })
        {
            var logits = m.Forward(ids, 0, m.NewCache(ids.Length, CacheDType.F32), mode);
            AssertClose(r.ReadF32($"{p}.logits"), logits, $"{model} {p} logits ({mode})");
        }
    }

    [Theory]
    [InlineData("v3-tiny")]
    [InlineData("v2-lite-tiny")]
    public void HiddenStatesAndRoutingOfP0Match(string model)
    {
        using var m = Transformer.Load(Fixtures.Dir(model));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        var ids = r.ReadI32("p0.input_ids");
        var cap = new ForwardCapture();
        m.Forward(ids, 0, m.NewCache(ids.Length, CacheDType.F32), AttentionMode.Naive, capture: cap);
        for (int l = 0; l <= m.Config.NumHiddenLayers; l++)
            AssertClose(r.ReadF32($"p0.hidden.{l}"), cap.Hidden[l], $"{model} hidden.{l}");
        AssertClose(r.ReadF32("p0.final_norm"), cap.FinalNorm!, $"{model} final_norm");
        for (int l = m.Config.FirstKDenseReplace; l < m.Config.NumHiddenLayers; l++)
        {
            Assert.Equal(r.ReadI32($"p0.layer{l}.topk_idx"), cap.TopkIdx[l]);
            AssertClose(r.ReadF32($"p0.layer{l}.topk_weight"), cap.TopkWeight[l], $"{model} layer{l} topk_weight");
        }
    }

    [Theory]
    [InlineData("p0")]
    [InlineData("p1")]
    public void Fp8LogitsMatchDequantisedReference(string p)
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-fp8-tiny"));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir("v3-fp8-tiny"), "reference.safetensors"));
        var ids = r.ReadI32($"{p}.input_ids");
        var logits = m.Forward(ids, 0, m.NewCache(ids.Length, CacheDType.F32));
        AssertClose(r.ReadF32($"{p}.logits_dequant_fp32"), logits, $"fp8 {p} logits");
        int V = m.Config.VocabSize;
        var official = r.ReadF32($"{p}.official_bf16_step_logits");
        Assert.Equal(ArgMax(official.AsSpan(0, V)), ArgMax(logits.AsSpan((ids.Length - 1) * V, V)));
    }

    [Theory]
    [InlineData("p0")]
    [InlineData("p1")]
    [InlineData("p2")]
    public void MtpLogitsMatchReference(string p)
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir("v3-tiny"), "reference.safetensors"));
        var ids = r.ReadI32($"{p}.input_ids");
        int T = ids.Length, dim = m.Config.HiddenSize;
        var h = new float[T * dim];
        m.Forward(ids, 0, m.NewCache(T, CacheDType.F32), finalNorm: h);
        Assert.Single(m.Mtp);
        var mtpCache = LatentCache.For(m.Config, T, CacheDType.F32, layers: 1);
        var (logits, _) = m.Mtp[0].Forward(ids.AsSpan(1), h.AsSpan(0, (T - 1) * dim), 0, mtpCache.Layer(0));
        AssertClose(r.ReadF32($"{p}.mtp_logits"), logits, $"mtp {p}");
    }

    internal static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
