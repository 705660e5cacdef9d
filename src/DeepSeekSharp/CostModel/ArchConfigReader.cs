using System.Text.Json;

namespace DeepSeekSharp.CostModel;

/// <summary>
/// Reads any Hugging Face decoder config.json into an <see cref="ArchConfig"/>: the DeepSeek MLA family
/// (deepseek_v2, deepseek_v3, kimi_k2 and anything with kv_lora_rank), GQA/MHA models with a gated MLP
/// (llama, mistral, qwen2, qwen3, ...; head_dim or hidden/heads; num_key_value_heads or heads), Qwen-1
/// (model_type qwen: kv_channels, and intermediate_size counts gate and up together), and MoE GQA models
/// (mixtral: num_local_experts; qwen2_moe/qwen3_moe: num_experts). Every problem is one DssException that
/// names the file and the field.
/// </summary>
public static class ArchConfigReader
{
    /// <summary>Reads a file, or a folder holding config.json.</summary>
    public static ArchConfig ReadFile(string path)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file)) throw new DssException($"{file}: no such config file");
        string json = File.ReadAllText(file);
        string name = Path.GetFileName(file) == "config.json"
            ? new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(file))!).Name
            : Path.GetFileNameWithoutExtension(file);
        return Parse(json, file, name);
    }

    public static ArchConfig Parse(string json, string source, string name)
    {
        var doc = ConfigJson.ParseObject(json, source);
        using (doc)
        {
            var root = doc.RootElement;
            var f = new Fields(root, source);
            string modelType = f.OptString("model_type") ?? "(none)";
            if (f.OptBool("is_encoder_decoder") == true)
                throw new DssException($"{source}: field 'is_encoder_decoder' is true: encoder-decoder models are not supported (decoder-only transformers only)");
            if (root.TryGetProperty("text_config", out var tc) && tc.ValueKind == JsonValueKind.Object && !root.TryGetProperty("hidden_size", out _))
                throw new DssException($"{source}: the model is multimodal (field 'text_config'); pass the text model's config.json instead");

            int hidden = f.ReqPositive("hidden_size");
            int layers = f.ReqPositive("num_hidden_layers");
            int vocab = f.ReqPositive("vocab_size");
            int heads = f.ReqPositive("num_attention_heads");
            bool tie = f.OptBool("tie_word_embeddings") ?? false;

            if (f.Has("kv_lora_rank")) return ReadMla(f, name, source, modelType, hidden, layers, vocab, heads, tie);

            int kvHeads = f.OptPositive("num_key_value_heads") ?? heads;
            if (heads % kvHeads != 0)
                throw new DssException($"{source}: field 'num_key_value_heads' ({kvHeads}) must divide num_attention_heads ({heads})");
            int headDim = f.OptPositive("head_dim") ?? f.OptPositive("kv_channels") ?? 0;
            if (headDim == 0)
            {
                if (hidden % heads != 0)
                    throw new DssException($"{source}: field 'head_dim' is missing and hidden_size {hidden} is not a multiple of num_attention_heads {heads}");
                headDim = hidden / heads;
            }
            int intermediate = f.ReqPositive("intermediate_size");
            // Qwen-1 (QWenLMHeadModel): w1 and w2 are each intermediate_size / 2 wide.
            if (modelType == "qwen") intermediate /= 2;
            bool qkvBias = modelType is "qwen" or "qwen2" or "qwen2_moe" || (f.OptBool("attention_bias") ?? false);

            MoeShape? moe = null;
            int? experts = f.OptPositive("num_local_experts") ?? f.OptPositive("num_experts");
            if (experts is { } e && e > 1)
            {
                int topK = f.ReqPositive("num_experts_per_tok");
                int expertWidth = f.OptPositive("moe_intermediate_size") ?? intermediate;
                int shared = f.OptInt("shared_expert_intermediate_size") ?? 0;
                int firstDense = 0;
                if (f.OptInt("decoder_sparse_step") is { } step && step > 1)
                    throw new DssException($"{source}: field 'decoder_sparse_step' = {step} is not supported (only every layer MoE)");
                moe = new MoeShape(e, topK, expertWidth, shared, firstDense, 1, GateBias: false);
            }
            return new ArchConfig
            {
                Name = name, Source = source, ModelType = modelType, HiddenSize = hidden, Layers = layers, VocabSize = vocab,
                Heads = heads, KvHeads = kvHeads, HeadDim = headDim, Intermediate = intermediate, TieEmbeddings = tie,
                QkvBias = qkvBias, Moe = moe,
            };
        }
    }

    private static ArchConfig ReadMla(Fields f, string name, string source, string modelType, int hidden, int layers, int vocab, int heads, bool tie)
    {
        var mla = new MlaShape(
            f.OptPositive("q_lora_rank"),
            f.ReqPositive("kv_lora_rank"),
            f.ReqPositive("qk_nope_head_dim"),
            f.ReqPositive("qk_rope_head_dim"),
            f.ReqPositive("v_head_dim"));
        int intermediate = f.ReqPositive("intermediate_size");
        MoeShape? moe = null;
        int routed = f.OptInt("n_routed_experts") ?? 0;
        if (routed > 0)
        {
            int width = f.ReqPositive("moe_intermediate_size");
            int shared = f.OptInt("n_shared_experts") ?? 0;
            if (shared < 0) throw new DssException($"{source}: field 'n_shared_experts' must be >= 0");
            int topK = f.ReqPositive("num_experts_per_tok");
            if (topK > routed) throw new DssException($"{source}: field 'num_experts_per_tok' ({topK}) exceeds n_routed_experts ({routed})");
            moe = new MoeShape(routed, topK, width, shared * width,
                f.OptInt("first_k_dense_replace") ?? 0, f.OptPositive("moe_layer_freq") ?? 1,
                GateBias: (f.OptString("topk_method") ?? "") == "noaux_tc");
        }
        return new ArchConfig
        {
            Name = name, Source = source, ModelType = modelType, HiddenSize = hidden, Layers = layers, VocabSize = vocab,
            Heads = heads, KvHeads = heads, HeadDim = mla.VHeadDim, Intermediate = intermediate, TieEmbeddings = tie,
            QkvBias = f.OptBool("attention_bias") ?? false, Mla = mla, Moe = moe,
            MtpModules = f.OptInt("num_nextn_predict_layers") ?? 0,
        };
    }

    /// <summary>Typed access to the top-level fields with one clear message per problem.</summary>
    private readonly struct Fields(JsonElement root, string source)
    {
        public bool Has(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

        public int ReqPositive(string name) =>
            OptPositive(name) ?? throw new DssException($"{source}: required field '{name}' is missing");

        public int? OptPositive(string name)
        {
            int? v = OptInt(name);
            if (v is <= 0) throw new DssException($"{source}: field '{name}' must be a positive integer, got {v}");
            return v;
        }

        public int? OptInt(string name)
        {
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
                throw new DssException($"{source}: field '{name}' must be an integer, got {v.GetRawText()}");
            return i;
        }

        public bool? OptBool(string name)
        {
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new DssException($"{source}: field '{name}' must be true or false, got {v.GetRawText()}"),
            };
        }

        public string? OptString(string name)
        {
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.String) throw new DssException($"{source}: field '{name}' must be a string, got {v.GetRawText()}");
            return v.GetString();
        }
    }
}
