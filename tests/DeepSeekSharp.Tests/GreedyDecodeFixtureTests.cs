using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using static DeepSeekSharp.Tests.ForwardFixtureTests;

namespace DeepSeekSharp.Tests;

/// <summary>Prefill + one-token decode steps through the latent cache against transformers' generate.</summary>
public class GreedyDecodeFixtureTests
{
    public static TheoryData<string, string> Prompts() => ForwardFixtureTests.Prompts();

    /// <summary>Greedy decoding: logits of each step (T_prompt logits for step 0), and the chosen ids.</summary>
    internal static (List<int> Ids, List<float[]> StepLogits) Greedy(Transformer m, int[] prompt, int steps, CacheDType dtype, AttentionMode mode)
    {
        var cache = m.NewCache(prompt.Length + steps, dtype);
        var ids = new List<int>();
        var all = new List<float[]>();
        var logits = m.Forward(prompt, 0, cache, mode, lastOnly: true);
        for (int i = 0; i < steps; i++)
        {
            all.Add(logits);
            int next = ArgMax(logits);
            ids.Add(next);
            if (i + 1 < steps) logits = m.Forward(new[] { next }, cache.Length, cache, mode);
        }
        return (ids, all);
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void GreedyWithF32CacheMatchesStepLogits(string model, string p)
    {
        using var m = Transformer.Load(Fixtures.Dir(model));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        var prompt = r.ReadI32($"{p}.input_ids");
        var refIds = r.ReadI32($"{p}.greedy_ids");
        var refLogits = r.ReadF32($"{p}.greedy_logits");
        int V = m.Config.VocabSize;
        var (ids, steps) = Greedy(m, prompt, refIds.Length, CacheDType.F32, AttentionMode.Auto);
        Assert.Equal(refIds, ids);
        for (int i = 0; i < steps.Count; i++)
            AssertClose(refLogits.AsSpan(i * V, V).ToArray(), steps[i], $"{model} {p} step {i}");
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void GreedyWithBf16CacheKeepsTheIds(string model, string p)
    {
        using var m = Transformer.Load(Fixtures.Dir(model));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        var (ids, _) = Greedy(m, r.ReadI32($"{p}.input_ids"), 12, CacheDType.BF16, AttentionMode.Auto);
        Assert.Equal(r.ReadI32($"{p}.greedy_ids"), ids);
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void AbsorbedAndNaiveDecodeAgree(string model, string p)
    {
        using var m = Transformer.Load(Fixtures.Dir(model));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir(model), "reference.safetensors"));
        var prompt = r.ReadI32($"{p}.input_ids");
        var (idsA, a) = Greedy(m, prompt, 12, CacheDType.F32, AttentionMode.Absorb);
        var (idsN, n) = Greedy(m, prompt, 12, CacheDType.F32, AttentionMode.Naive);
        Assert.Equal(idsN, idsA);
        for (int i = 0; i < a.Count; i++) AssertClose(n[i], a[i], $"{model} {p} step {i} absorbed vs naive", 1e-5);
    }

    [Theory]
    [InlineData("p0")]
    [InlineData("p1")]
    public void Fp8GreedyEqualsOfficialBf16Tokens(string p)
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-fp8-tiny"));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir("v3-fp8-tiny"), "reference.safetensors"));
        var (ids, _) = Greedy(m, r.ReadI32($"{p}.input_ids"), 6, CacheDType.BF16, AttentionMode.Auto);
        Assert.Equal(r.ReadI32($"{p}.official_bf16_tokens"), ids);
    }

    [Fact]
    public void ContextOverflowIsAClearError()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var cache = m.NewCache(4);
        var e = Assert.Throws<DssException>(() => m.Forward(new[] { 1, 2, 3, 4, 5 }, 0, cache));
        Assert.Contains("context overflow", e.Message);
    }
}

public class BatchedForwardTests
{
    [Fact]
    public void BatchedDecodeEqualsEachSequenceAlone()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        using var r = SafetensorsFile.Open(Path.Combine(Fixtures.Dir("v3-tiny"), "reference.safetensors"));
        var prompts = new[] { r.ReadI32("p0.input_ids"), r.ReadI32("p1.input_ids"), r.ReadI32("p2.input_ids") };
        var caches = prompts.Select(p => m.NewCache(p.Length + 8, CacheDType.F32)).ToArray();
        // Prefill p0 and p1 together, p2 alone; then decode all three in one batch, two tokens for p1 (verify-style).
        var pre = m.ForwardBatch(new[] { new BatchItem(caches[0], prompts[0]), new BatchItem(caches[1], prompts[1]) });
        m.ForwardBatch(new[] { new BatchItem(caches[2], prompts[2]) });
        var step = m.ForwardBatch(new[]
        {
            new BatchItem(caches[0], new[] { 5 }),
            new BatchItem(caches[1], new[] { 6, 7 }, AllLogits: true),
            new BatchItem(caches[2], new[] { 8 }),
        });
        var extra = new[] { new[] { 5 }, new[] { 6, 7 }, new[] { 8 } };
        int V = m.Config.VocabSize;
        for (int i = 0; i < 3; i++)
        {
            var alone = m.NewCache(prompts[i].Length + 8, CacheDType.F32);
            var full = m.Forward(prompts[i].Concat(extra[i]).ToArray(), 0, alone);
            if (i < 2)
                ForwardFixtureTests.AssertClose(full.AsSpan((prompts[i].Length - 1) * V, V).ToArray(), pre[i], $"prefill {i}", 1e-5);
            int n = extra[i].Length;
            int from = i == 1 ? prompts[i].Length : prompts[i].Length + n - 1;
            ForwardFixtureTests.AssertClose(full.AsSpan(from * V, (prompts[i].Length + n - from) * V).ToArray(), step[i], $"decode {i}", 1e-5);
        }
    }
}
