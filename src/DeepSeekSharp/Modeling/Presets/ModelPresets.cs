using System.Text.Json.Nodes;

namespace DeepSeekSharp.Modeling.Presets;

/// <summary>
/// The config.json of released DeepSeek-V3-architecture models, by preset name (the architecture fields of their
/// Hugging Face config.json, unchanged), for `dss init --config PRESET` benchmark checkpoints with the real shapes.
/// </summary>
public static class ModelPresets
{
    private static readonly Dictionary<string, string> Configs = new(StringComparer.OrdinalIgnoreCase)
    {
        ["deepseek-v3"] = DeepSeekV3,
        ["deepseek-v2-lite"] = DeepSeekV2Lite,
        ["moonlight-16b-a3b"] = Moonlight16BA3B,
    };

    public static IReadOnlyCollection<string> Names => Configs.Keys;

    public static bool TryGet(string name, out string configJson) => Configs.TryGetValue(name, out configJson!);

    /// <summary>
    /// The config.json text for FILE_OR_PRESET: a preset name, a config.json file or a model folder holding one.
    /// </summary>
    public static string Resolve(string fileOrPreset)
    {
        if (TryGet(fileOrPreset, out var json)) return json;
        string path = Directory.Exists(fileOrPreset) ? Path.Combine(fileOrPreset, "config.json") : fileOrPreset;
        if (File.Exists(path)) return File.ReadAllText(path);
        throw new DssException($"--config '{fileOrPreset}' is neither a preset ({string.Join(", ", Names)}) nor a config.json file or model folder");
    }

    /// <summary>
    /// Adapts a config.json to a benchmark checkpoint: num_hidden_layers = layers (when given; the width stays),
    /// num_nextn_predict_layers 0 unless keepMtp, quantization_config set for FP8 and removed for BF16.
    /// </summary>
    public static string Adapt(string configJson, bool fp8, int? layers, bool keepMtp)
    {
        if (JsonNode.Parse(configJson) is not JsonObject o) throw new DssException("config.json: expected a JSON object");
        if (layers is int n)
        {
            if (n < 1) throw new DssException($"--layers must be at least 1, got {n}");
            o["num_hidden_layers"] = n;
        }
        if (!keepMtp) o["num_nextn_predict_layers"] = 0;
        if (fp8)
        {
            o["quantization_config"] = new JsonObject
            {
                ["activation_scheme"] = "dynamic",
                ["fmt"] = "e4m3",
                ["quant_method"] = "fp8",
                ["weight_block_size"] = new JsonArray(128, 128),
            };
        }
        else
        {
            o.Remove("quantization_config");
        }
        o["torch_dtype"] = "bfloat16";
        return o.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    // deepseek-ai/DeepSeek-V3 config.json
    public const string DeepSeekV3 = """
    {
      "architectures": ["DeepseekV3ForCausalLM"],
      "model_type": "deepseek_v3",
      "vocab_size": 129280,
      "hidden_size": 7168,
      "intermediate_size": 18432,
      "moe_intermediate_size": 2048,
      "num_hidden_layers": 61,
      "num_nextn_predict_layers": 1,
      "num_attention_heads": 128,
      "num_key_value_heads": 128,
      "n_shared_experts": 1,
      "n_routed_experts": 256,
      "ep_size": 1,
      "routed_scaling_factor": 2.5,
      "kv_lora_rank": 512,
      "q_lora_rank": 1536,
      "qk_rope_head_dim": 64,
      "v_head_dim": 128,
      "qk_nope_head_dim": 128,
      "topk_method": "noaux_tc",
      "n_group": 8,
      "topk_group": 4,
      "num_experts_per_tok": 8,
      "moe_layer_freq": 1,
      "first_k_dense_replace": 3,
      "norm_topk_prob": true,
      "scoring_func": "sigmoid",
      "hidden_act": "silu",
      "max_position_embeddings": 163840,
      "initializer_range": 0.02,
      "rms_norm_eps": 1e-06,
      "rope_theta": 10000,
      "rope_scaling": {
        "beta_fast": 32,
        "beta_slow": 1,
        "factor": 40,
        "mscale": 1.0,
        "mscale_all_dim": 1.0,
        "original_max_position_embeddings": 4096,
        "type": "yarn"
      },
      "attention_bias": false,
      "attention_dropout": 0.0,
      "bos_token_id": 0,
      "eos_token_id": 1,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "use_cache": true,
      "quantization_config": {
        "activation_scheme": "dynamic",
        "fmt": "e4m3",
        "quant_method": "fp8",
        "weight_block_size": [128, 128]
      }
    }
    """;

    // deepseek-ai/DeepSeek-V2-Lite config.json
    public const string DeepSeekV2Lite = """
    {
      "architectures": ["DeepseekV2ForCausalLM"],
      "model_type": "deepseek_v2",
      "vocab_size": 102400,
      "hidden_size": 2048,
      "intermediate_size": 10944,
      "moe_intermediate_size": 1408,
      "num_hidden_layers": 27,
      "num_attention_heads": 16,
      "num_key_value_heads": 16,
      "n_shared_experts": 2,
      "n_routed_experts": 64,
      "ep_size": 1,
      "routed_scaling_factor": 1.0,
      "kv_lora_rank": 512,
      "q_lora_rank": null,
      "qk_rope_head_dim": 64,
      "v_head_dim": 128,
      "qk_nope_head_dim": 128,
      "topk_method": "greedy",
      "n_group": 1,
      "topk_group": 1,
      "num_experts_per_tok": 6,
      "moe_layer_freq": 1,
      "first_k_dense_replace": 1,
      "norm_topk_prob": false,
      "scoring_func": "softmax",
      "aux_loss_alpha": 0.001,
      "seq_aux": true,
      "hidden_act": "silu",
      "max_position_embeddings": 163840,
      "initializer_range": 0.02,
      "rms_norm_eps": 1e-06,
      "rope_theta": 10000,
      "rope_scaling": {
        "beta_fast": 32,
        "beta_slow": 1,
        "factor": 40,
        "mscale": 0.707,
        "mscale_all_dim": 0.707,
        "original_max_position_embeddings": 4096,
        "type": "yarn"
      },
      "attention_bias": false,
      "attention_dropout": 0.0,
      "bos_token_id": 100000,
      "eos_token_id": 100001,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "use_cache": true
    }
    """;

    // moonshotai/Moonlight-16B-A3B config.json
    public const string Moonlight16BA3B = """
    {
      "architectures": ["DeepseekV3ForCausalLM"],
      "model_type": "deepseek_v3",
      "vocab_size": 163840,
      "hidden_size": 2048,
      "intermediate_size": 11264,
      "moe_intermediate_size": 1408,
      "num_hidden_layers": 27,
      "num_nextn_predict_layers": 0,
      "num_attention_heads": 16,
      "num_key_value_heads": 16,
      "n_shared_experts": 2,
      "n_routed_experts": 64,
      "ep_size": 1,
      "routed_scaling_factor": 2.446,
      "kv_lora_rank": 512,
      "q_lora_rank": null,
      "qk_rope_head_dim": 64,
      "v_head_dim": 128,
      "qk_nope_head_dim": 128,
      "topk_method": "noaux_tc",
      "n_group": 1,
      "topk_group": 1,
      "num_experts_per_tok": 6,
      "moe_layer_freq": 1,
      "first_k_dense_replace": 1,
      "norm_topk_prob": true,
      "scoring_func": "sigmoid",
      "aux_loss_alpha": 0.001,
      "seq_aux": true,
      "hidden_act": "silu",
      "max_position_embeddings": 8192,
      "initializer_range": 0.02,
      "rms_norm_eps": 1e-05,
      "rope_theta": 50000.0,
      "rope_scaling": null,
      "attention_bias": false,
      "attention_dropout": 0.0,
      "bos_token_id": 163584,
      "eos_token_id": 163586,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "use_cache": true
    }
    """;
}
