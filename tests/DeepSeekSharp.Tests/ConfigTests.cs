using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

public class ConfigTests
{
    [Fact]
    public void LoadsV3Tiny()
    {
        var c = ModelConfig.Load(Fixtures.Dir("v3-tiny"));
        Assert.Equal("deepseek_v3", c.ModelType);
        Assert.Equal(48, c.QLoraRank);
        Assert.Equal(TopkMethod.NoauxTc, c.TopkMethod);
        Assert.Equal(ScoringFunc.Sigmoid, c.ScoringFunc);
        Assert.Equal(4.0, c.RopeScaling!.Factor);
        Assert.Equal(1, c.NumNextnPredictLayers);
        Assert.True(c.IsMoeLayer(1));
        Assert.False(c.IsMoeLayer(0));
    }

    [Fact]
    public void LoadsV2LiteTinyWithoutQCompression()
    {
        var c = ModelConfig.Load(Fixtures.Dir("v2-lite-tiny"));
        Assert.Null(c.QLoraRank);
        Assert.Equal(TopkMethod.Greedy, c.TopkMethod);
        Assert.Equal(2, c.NSharedExperts);
    }

    [Fact]
    public void LoadsFp8QuantizationConfig()
    {
        var c = ModelConfig.Load(Fixtures.Dir("v3-fp8-tiny"));
        Assert.NotNull(c.QuantizationConfig);
        Assert.Equal(128, c.QuantizationConfig!.BlockRows);
    }

    [Fact]
    public void V3KvCacheBytesPerToken()
    {
        var c = ModelConfig.Parse("""{"model_type":"deepseek_v3","vocab_size":129280,"hidden_size":7168,"intermediate_size":18432,"moe_intermediate_size":2048,"num_hidden_layers":61,"num_attention_heads":128,"q_lora_rank":1536,"kv_lora_rank":512,"qk_nope_head_dim":128,"qk_rope_head_dim":64,"v_head_dim":128,"n_routed_experts":256,"n_shared_experts":1,"num_experts_per_tok":8,"n_group":8,"topk_group":4,"max_position_embeddings":163840}""");
        Assert.Equal(70_272, c.KvCacheBytesPerToken(2));
    }

    [Theory]
    [InlineData("{", "not well-formed JSON")]
    [InlineData("""{"model_type":"llama"}""", "model_type 'llama' is not supported")]
    [InlineData("""{"model_type":"deepseek_v3","vocab_size":10}""", "required field 'hidden_size' is missing")]
    [InlineData("""{"model_type":"deepseek_v3","vocab_size":"x"}""", "field 'vocab_size' must be an integer")]
    public void BadConfigsGiveClearErrors(string json, string expected)
    {
        var e = Assert.Throws<DssException>(() => ModelConfig.Parse(json));
        Assert.Contains(expected, e.Message);
    }
}
