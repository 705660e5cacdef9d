using DeepSeekSharp.Benchmarking;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Modeling.Presets;

namespace DeepSeekSharp.Tests;

/// <summary>The tensor tables of the presets, checked against the released checkpoints' names and shapes without writing them.</summary>
public class InitLayoutTests
{
    private static Dictionary<string, PlannedTensor> Layout(string preset, bool fp8, int? layers, bool mtp = false)
    {
        var json = ModelPresets.Adapt(ModelPresets.Resolve(preset), fp8, layers, mtp);
        return CheckpointLayout.Tensors(ModelConfig.Parse(json), fp8).ToDictionary(t => t.Name);
    }

    private static void Has(Dictionary<string, PlannedTensor> t, string name, DType dtype, params long[] shape)
    {
        Assert.True(t.ContainsKey(name), $"missing {name}");
        Assert.Equal(dtype, t[name].DType);
        Assert.Equal(shape, t[name].Shape);
    }

    [Fact]
    public void DeepSeekV3PresetHasTheReleasedNamesAndShapes()
    {
        var t = Layout("deepseek-v3", fp8: true, layers: 4, mtp: true);
        Has(t, "model.embed_tokens.weight", DType.BF16, 129280, 7168);
        Has(t, "model.layers.0.self_attn.q_a_proj.weight", DType.F8_E4M3, 1536, 7168);
        Has(t, "model.layers.0.self_attn.q_a_proj.weight_scale_inv", DType.F32, 12, 56);
        Has(t, "model.layers.0.self_attn.q_a_layernorm.weight", DType.BF16, 1536);
        Has(t, "model.layers.0.self_attn.q_b_proj.weight", DType.F8_E4M3, 24576, 1536);
        Has(t, "model.layers.0.self_attn.kv_a_proj_with_mqa.weight", DType.F8_E4M3, 576, 7168);
        Has(t, "model.layers.0.self_attn.kv_a_proj_with_mqa.weight_scale_inv", DType.F32, 5, 56);
        Has(t, "model.layers.0.self_attn.kv_b_proj.weight", DType.F8_E4M3, 32768, 512);
        Has(t, "model.layers.0.self_attn.o_proj.weight", DType.F8_E4M3, 7168, 16384);
        Has(t, "model.layers.0.mlp.gate_proj.weight", DType.F8_E4M3, 18432, 7168);
        Has(t, "model.layers.3.mlp.gate.weight", DType.BF16, 256, 7168);
        Has(t, "model.layers.3.mlp.gate.e_score_correction_bias", DType.F32, 256);
        Has(t, "model.layers.3.mlp.experts.255.down_proj.weight", DType.F8_E4M3, 7168, 2048);
        Has(t, "model.layers.3.mlp.experts.255.down_proj.weight_scale_inv", DType.F32, 56, 16);
        Has(t, "model.layers.3.mlp.shared_experts.up_proj.weight", DType.F8_E4M3, 2048, 7168);
        Has(t, "model.layers.4.eh_proj.weight", DType.F8_E4M3, 7168, 14336);
        Has(t, "model.layers.4.shared_head.head.weight", DType.BF16, 129280, 7168);
        Has(t, "model.norm.weight", DType.BF16, 7168);
        Has(t, "lm_head.weight", DType.BF16, 129280, 7168);
        Assert.False(t.ContainsKey("model.layers.2.mlp.gate.weight")); // first_k_dense_replace 3
        Assert.False(t.ContainsKey("model.layers.5.input_layernorm.weight"));
    }

    [Fact]
    public void FullDeepSeekV3HasItsPublishedParameterCount()
    {
        var json = ModelPresets.Adapt(ModelPresets.DeepSeekV3, fp8: true, layers: null, keepMtp: true);
        var tensors = CheckpointLayout.Tensors(ModelConfig.Parse(json), fp8: true);
        long main = tensors.Where(t => t.Role != TensorRole.Scale && !t.Name.StartsWith("model.layers.61.", StringComparison.Ordinal)).Sum(t => t.ElementCount);
        long mtp = tensors.Where(t => t.Role != TensorRole.Scale && t.Name.StartsWith("model.layers.61.", StringComparison.Ordinal)).Sum(t => t.ElementCount);
        Assert.InRange(main / 1e9, 671 * 0.99, 671 * 1.01); // 671B main model
        Assert.InRange(mtp / 1e9, 11.5, 14.5);                // 14B MTP module counting its own embedding and head (11.5B unique)
    }

    [Fact]
    public void LitePresetsHaveTheirShapes()
    {
        var moon = Layout("moonlight-16b-a3b", fp8: false, layers: 1);
        Has(moon, "model.layers.0.self_attn.q_proj.weight", DType.BF16, 3072, 2048);
        Has(moon, "model.layers.0.mlp.down_proj.weight", DType.BF16, 2048, 11264);
        Has(moon, "lm_head.weight", DType.BF16, 163840, 2048);
        Assert.DoesNotContain(moon.Keys, n => n.EndsWith("_scale_inv", StringComparison.Ordinal));
        var moon2 = Layout("moonlight-16b-a3b", fp8: true, layers: 2);
        Has(moon2, "model.layers.1.mlp.experts.63.gate_proj.weight", DType.F8_E4M3, 1408, 2048);
        Has(moon2, "model.layers.1.mlp.experts.63.gate_proj.weight_scale_inv", DType.F32, 11, 16);
        Has(moon2, "model.layers.1.mlp.shared_experts.gate_proj.weight", DType.F8_E4M3, 2816, 2048);
        Has(moon2, "model.layers.1.mlp.gate.e_score_correction_bias", DType.F32, 64);
        var lite = Layout("deepseek-v2-lite", fp8: false, layers: 2);
        Has(lite, "model.embed_tokens.weight", DType.BF16, 102400, 2048);
        Has(lite, "model.layers.0.mlp.up_proj.weight", DType.BF16, 10944, 2048);
        Has(lite, "model.layers.1.mlp.gate.weight", DType.BF16, 64, 2048);
        Assert.False(lite.ContainsKey("model.layers.1.mlp.gate.e_score_correction_bias")); // greedy softmax routing has no bias
    }

    [Fact]
    public void MoonlightAtFourLayersInFp8IsOverAGigabyte()
    {
        var json = ModelPresets.Adapt(ModelPresets.Moonlight16BA3B, fp8: true, layers: 4, keepMtp: false);
        Assert.InRange(RandomCheckpoint.TotalBytes(ModelConfig.Parse(json), fp8: true) / 1e9, 3.0, 3.3);
    }

    [Fact]
    public void InitTablesFollowTheNormalDistribution()
    {
        Assert.Equal(0.0, InitDistribution.InverseNormalCdf(0.5), 12);
        Assert.Equal(1.959964, InitDistribution.InverseNormalCdf(0.975), 5);
        Assert.Equal(-2.326348, InitDistribution.InverseNormalCdf(0.01), 5);
        var q = InitDistribution.Quantiles;
        double mean = q.Average(), std = Math.Sqrt(q.Average(v => v * (double)v));
        Assert.InRange(mean, -1e-6, 1e-6);
        Assert.InRange(std, 0.99, 1.0);
    }
}
