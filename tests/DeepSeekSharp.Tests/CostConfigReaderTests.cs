using DeepSeekSharp.CostModel;

namespace DeepSeekSharp.Tests;

public class CostConfigReaderTests
{
    [Fact]
    public void EveryShippedConfigLoads()
    {
        foreach (string name in ShippedConfigs.Names)
        {
            var c = ShippedConfigs.Load(name);
            Assert.True(c.HiddenSize > 0 && c.Layers > 0, name);
            Assert.True(ParamCount.Of(c).Total > 1e9, name);
        }
    }

    [Fact]
    public void ReadsMlaGqaAndMhaShapes()
    {
        var v3 = ShippedConfigs.Load(ShippedConfigs.DeepSeekV3);
        Assert.Equal(new MlaShape(1536, 512, 128, 64, 128), v3.Mla);
        Assert.Equal(3, v3.Moe!.FirstDenseLayers);
        Assert.Equal(1, v3.MtpModules);
        var lite = ShippedConfigs.Load(ShippedConfigs.DeepSeekV2Lite);
        Assert.Null(lite.Mla!.QLoraRank);
        Assert.Equal(2 * 1408, lite.Moe!.SharedIntermediate);
        var llama = ShippedConfigs.Load(ShippedConfigs.Llama31_405B);
        Assert.Equal((AttentionKind.Gqa, 8, 128), (llama.Attention, llama.KvHeads, llama.HeadDim));
        var qwen1 = ShippedConfigs.Load(ShippedConfigs.Qwen72B);
        Assert.Equal((AttentionKind.Mha, 128, 24576), (qwen1.Attention, qwen1.HeadDim, qwen1.Intermediate));
    }

    [Fact]
    public void ReadsAUserFileWithExplicitHeadDimAndMoe()
    {
        using var dir = new Fixtures.TempDir();
        string path = dir.File("config.json");
        File.WriteAllText(path, """{"model_type":"qwen3_moe","hidden_size":2048,"num_hidden_layers":48,"vocab_size":151936,"num_attention_heads":32,"num_key_value_heads":4,"head_dim":128,"intermediate_size":6144,"moe_intermediate_size":768,"num_experts":128,"num_experts_per_tok":8,"tie_word_embeddings":false}""");
        var c = ArchConfigReader.ReadFile(dir.Path);
        Assert.Equal(AttentionKind.Gqa, c.Attention);
        Assert.Equal(2 * 4 * 128 * 48 * 2, KvCache.PerToken(c, StorageType.BF16).BytesPerToken);
        var p = ParamCount.Of(c);
        Assert.InRange(p.Total / 1e9, 30, 31.5);   // Qwen3-30B-A3B: 30.5B total
        Assert.InRange(p.Active / 1e9, 3.0, 3.6);  // 3.3B activated
    }

    [Theory]
    [InlineData("{", "not well-formed JSON")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("""{"model_type":"llama","hidden_size":4096}""", "required field 'num_hidden_layers' is missing")]
    [InlineData("""{"hidden_size":"big","num_hidden_layers":2,"vocab_size":10,"num_attention_heads":4}""", "field 'hidden_size' must be an integer")]
    [InlineData("""{"hidden_size":-8,"num_hidden_layers":2,"vocab_size":10,"num_attention_heads":4}""", "field 'hidden_size' must be a positive integer")]
    [InlineData("""{"hidden_size":64,"num_hidden_layers":2,"vocab_size":10,"num_attention_heads":4,"num_key_value_heads":3,"intermediate_size":128}""", "field 'num_key_value_heads' (3) must divide")]
    [InlineData("""{"hidden_size":64,"num_hidden_layers":2,"vocab_size":10,"num_attention_heads":4,"kv_lora_rank":16,"qk_nope_head_dim":8,"v_head_dim":8,"intermediate_size":128}""", "required field 'qk_rope_head_dim' is missing")]
    [InlineData("""{"is_encoder_decoder":true,"hidden_size":64}""", "field 'is_encoder_decoder' is true")]
    [InlineData("""{"model_type":"llava","text_config":{"hidden_size":64}}""", "field 'text_config'")]
    [InlineData("""{"hidden_size":64,"num_hidden_layers":2,"vocab_size":10,"num_attention_heads":4,"kv_lora_rank":16,"qk_nope_head_dim":8,"qk_rope_head_dim":8,"v_head_dim":8,"intermediate_size":128,"n_routed_experts":4,"moe_intermediate_size":32,"num_experts_per_tok":8}""", "'num_experts_per_tok' (8) exceeds n_routed_experts (4)")]
    public void BadConfigsNameTheFileAndField(string json, string expected)
    {
        using var dir = new Fixtures.TempDir();
        string path = dir.File("mine.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<DssException>(() => ArchConfigReader.ReadFile(path));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void UnknownNamesAndMissingFilesAreClearErrors()
    {
        var e = Assert.Throws<DssException>(() => ShippedConfigs.Resolve("/no/such/config.json"));
        Assert.Contains("no such config file", e.Message);
        Assert.Contains(ShippedConfigs.DeepSeekV3, e.Message);
    }
}
