using System.Text.Json.Nodes;
using DeepSeekSharp.Modeling.Presets;

namespace DeepSeekSharp.Tests;

/// <summary>Tiny configs for `dss init` tests: the presets with their widths shrunk (every code path, tiny tensors).</summary>
internal static class InitTinyConfigs
{
    /// <summary>Moonlight's layout (q_proj, sigmoid noaux_tc, 2 shared experts) at toy width.</summary>
    public static string Moonlight() => Shrink(ModelPresets.Moonlight16BA3B, o =>
    {
        o["n_routed_experts"] = 8;
        o["num_experts_per_tok"] = 2;
    });

    /// <summary>DeepSeek-V3's layout (q_lora, grouped noaux_tc, MTP) at toy width.</summary>
    public static string V3() => Shrink(ModelPresets.DeepSeekV3, o =>
    {
        o["q_lora_rank"] = 48;
        o["n_routed_experts"] = 8;
        o["num_experts_per_tok"] = 2;
        o["n_group"] = 4;
        o["topk_group"] = 2;
        o["first_k_dense_replace"] = 1;
        o["rope_scaling"] = null;
    });

    private static string Shrink(string preset, Action<JsonObject> edit)
    {
        var o = (JsonObject)JsonNode.Parse(preset)!;
        o["vocab_size"] = 300;
        o["hidden_size"] = 64;
        o["intermediate_size"] = 96;
        o["moe_intermediate_size"] = 32;
        o["num_hidden_layers"] = 3;
        o["num_attention_heads"] = 4;
        o["kv_lora_rank"] = 32;
        o["qk_nope_head_dim"] = 16;
        o["qk_rope_head_dim"] = 8;
        o["v_head_dim"] = 16;
        o["max_position_embeddings"] = 256;
        edit(o);
        return o.ToJsonString();
    }

    public static string WriteConfig(Fixtures.TempDir tmp, string json, string name = "config.json")
    {
        string path = tmp.File(name);
        File.WriteAllText(path, json);
        return path;
    }
}
