using System.Text.Json;

namespace DeepSeekSharp.Modeling;

/// <summary>Reads config.json into <see cref="ModelConfig"/>, with one clear error per problem.</summary>
internal static class ModelConfigParser
{
    private static readonly string[] SupportedTypes = { "deepseek_v2", "deepseek_v3", "kimi_k2" };

    public static ModelConfig Parse(string json, string source)
    {
        var doc = ConfigJson.ParseObject(json, source);
        using (doc)
        {
            var r = doc.RootElement;
            var c = new Reader(r, source);

            string modelType = c.ReqString("model_type");
            string? arch = null;
            if (r.TryGetProperty("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0)
                arch = archs[0].GetString();
            if (!SupportedTypes.Contains(modelType))
                throw new DssException($"{source}: model_type '{modelType}' is not supported (supported: {string.Join(", ", SupportedTypes)})");
            if (arch is not null && !arch.StartsWith("Deepseek", StringComparison.Ordinal))
                throw new DssException($"{source}: architecture '{arch}' is not supported (expected DeepseekV2ForCausalLM or DeepseekV3ForCausalLM)");
            string act = c.OptString("hidden_act") ?? "silu";
            if (act != "silu") throw new DssException($"{source}: hidden_act '{act}' is not supported (only silu)");

            var topk = (c.OptString("topk_method") ?? (modelType == "deepseek_v2" ? "greedy" : "noaux_tc")) switch
            {
                "greedy" => TopkMethod.Greedy,
                "group_limited_greedy" => TopkMethod.GroupLimitedGreedy,
                "noaux_tc" => TopkMethod.NoauxTc,
                var s => throw new DssException($"{source}: topk_method '{s}' is not supported (greedy, group_limited_greedy, noaux_tc)"),
            };
            var scoring = (c.OptString("scoring_func") ?? "softmax") switch
            {
                "softmax" => ScoringFunc.Softmax,
                "sigmoid" => ScoringFunc.Sigmoid,
                var s => throw new DssException($"{source}: scoring_func '{s}' is not supported (softmax, sigmoid)"),
            };

            YarnScaling? yarn = null;
            if (r.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object)
            {
                var y = new Reader(rs, source + " rope_scaling");
                string type = y.OptString("type") ?? y.OptString("rope_type") ?? "";
                if (type != "yarn") throw new DssException($"{source}: rope_scaling type '{type}' is not supported (only yarn or null)");
                yarn = new YarnScaling(
                    y.ReqDouble("factor"),
                    y.ReqInt("original_max_position_embeddings"),
                    y.OptDouble("beta_fast") ?? 32,
                    y.OptDouble("beta_slow") ?? 1,
                    y.OptDouble("mscale") ?? 1,
                    y.OptDouble("mscale_all_dim") ?? 0);
            }

            QuantizationConfig? quant = null;
            if (r.TryGetProperty("quantization_config", out var qc) && qc.ValueKind == JsonValueKind.Object)
            {
                var q = new Reader(qc, source + " quantization_config");
                string method = q.ReqString("quant_method");
                string fmt = q.OptString("fmt") ?? "e4m3";
                if (method != "fp8" || fmt != "e4m3")
                    throw new DssException($"{source}: quantization_config {method}/{fmt} is not supported (only fp8 e4m3 with 128x128 blocks)");
                int br = 128, bc = 128;
                if (qc.TryGetProperty("weight_block_size", out var wbs) && wbs.ValueKind == JsonValueKind.Array && wbs.GetArrayLength() == 2)
                {
                    br = wbs[0].GetInt32();
                    bc = wbs[1].GetInt32();
                }
                if (br <= 0 || bc <= 0) throw new DssException($"{source}: weight_block_size [{br}, {bc}] is invalid");
                quant = new QuantizationConfig(method, fmt, br, bc, q.OptString("activation_scheme") ?? "dynamic");
            }

            int? eos = null;
            if (r.TryGetProperty("eos_token_id", out var eosEl))
            {
                if (eosEl.ValueKind == JsonValueKind.Number) eos = eosEl.GetInt32();
                else if (eosEl.ValueKind == JsonValueKind.Array && eosEl.GetArrayLength() > 0) eos = eosEl[0].GetInt32();
            }

            var cfg = new ModelConfig
            {
                ModelType = modelType,
                Architecture = arch,
                VocabSize = c.ReqInt("vocab_size"),
                HiddenSize = c.ReqInt("hidden_size"),
                IntermediateSize = c.ReqInt("intermediate_size"),
                MoeIntermediateSize = c.OptInt("moe_intermediate_size") ?? 0,
                NumHiddenLayers = c.ReqInt("num_hidden_layers"),
                NumAttentionHeads = c.ReqInt("num_attention_heads"),
                QLoraRank = c.OptInt("q_lora_rank"),
                KvLoraRank = c.ReqInt("kv_lora_rank"),
                QkNopeHeadDim = c.ReqInt("qk_nope_head_dim"),
                QkRopeHeadDim = c.ReqInt("qk_rope_head_dim"),
                VHeadDim = c.ReqInt("v_head_dim"),
                NRoutedExperts = c.OptInt("n_routed_experts") ?? 0,
                NSharedExperts = c.OptInt("n_shared_experts") ?? 0,
                NumExpertsPerTok = c.OptInt("num_experts_per_tok") ?? 0,
                NGroup = c.OptInt("n_group") ?? 1,
                TopkGroup = c.OptInt("topk_group") ?? 1,
                TopkMethod = topk,
                ScoringFunc = scoring,
                NormTopkProb = c.OptBool("norm_topk_prob") ?? false,
                RoutedScalingFactor = c.OptDouble("routed_scaling_factor") ?? 1.0,
                FirstKDenseReplace = c.OptInt("first_k_dense_replace") ?? 0,
                MoeLayerFreq = c.OptInt("moe_layer_freq") ?? 1,
                RmsNormEps = c.OptDouble("rms_norm_eps") ?? 1e-6,
                RopeTheta = c.OptDouble("rope_theta") ?? 10000,
                RopeScaling = yarn,
                MaxPositionEmbeddings = c.ReqInt("max_position_embeddings"),
                NumNextnPredictLayers = c.OptInt("num_nextn_predict_layers") ?? 0,
                TieWordEmbeddings = c.OptBool("tie_word_embeddings") ?? false,
                BosTokenId = c.OptInt("bos_token_id"),
                EosTokenId = eos,
                QuantizationConfig = quant,
            };
            Validate(cfg, source);
            return cfg;
        }
    }

    private static void Validate(ModelConfig c, string source)
    {
        void Positive(string name, int v)
        {
            if (v <= 0) throw new DssException($"{source}: {name} must be positive, got {v}");
        }
        Positive("vocab_size", c.VocabSize);
        Positive("hidden_size", c.HiddenSize);
        Positive("num_hidden_layers", c.NumHiddenLayers);
        Positive("num_attention_heads", c.NumAttentionHeads);
        Positive("kv_lora_rank", c.KvLoraRank);
        Positive("qk_nope_head_dim", c.QkNopeHeadDim);
        Positive("v_head_dim", c.VHeadDim);
        Positive("max_position_embeddings", c.MaxPositionEmbeddings);
        if (c.QkRopeHeadDim <= 0 || c.QkRopeHeadDim % 2 != 0)
            throw new DssException($"{source}: qk_rope_head_dim must be positive and even, got {c.QkRopeHeadDim}");
        if (c.QLoraRank is <= 0) throw new DssException($"{source}: q_lora_rank must be positive or null, got {c.QLoraRank}");
        if (c.NRoutedExperts < 0 || c.NSharedExperts < 0) throw new DssException($"{source}: expert counts must not be negative");
        if (c.NRoutedExperts > 0)
        {
            Positive("moe_intermediate_size", c.MoeIntermediateSize);
            if (c.NumExpertsPerTok <= 0 || c.NumExpertsPerTok > c.NRoutedExperts)
                throw new DssException($"{source}: num_experts_per_tok {c.NumExpertsPerTok} must be in 1..n_routed_experts ({c.NRoutedExperts})");
            if (c.NGroup <= 0 || c.NRoutedExperts % c.NGroup != 0)
                throw new DssException($"{source}: n_group {c.NGroup} must divide n_routed_experts {c.NRoutedExperts}");
            if (c.TopkGroup <= 0 || c.TopkGroup > c.NGroup)
                throw new DssException($"{source}: topk_group {c.TopkGroup} must be in 1..n_group ({c.NGroup})");
            if (c.TopkMethod != TopkMethod.Greedy && c.NumExpertsPerTok > c.TopkGroup * (c.NRoutedExperts / c.NGroup))
                throw new DssException($"{source}: num_experts_per_tok {c.NumExpertsPerTok} exceeds the experts in topk_group groups");
        }
        if (c.FirstKDenseReplace < 0) throw new DssException($"{source}: first_k_dense_replace must not be negative");
        if (c.MoeLayerFreq <= 0) throw new DssException($"{source}: moe_layer_freq must be positive");
        if (c.NumNextnPredictLayers < 0) throw new DssException($"{source}: num_nextn_predict_layers must not be negative");
        if (c.RopeScaling is { } y && (y.Factor <= 0 || y.OriginalMaxPositionEmbeddings <= 0))
            throw new DssException($"{source}: rope_scaling factor and original_max_position_embeddings must be positive");
    }

    private readonly struct Reader(JsonElement obj, string source)
    {
        private JsonElement? Get(string key) =>
            obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        public string ReqString(string key) => OptString(key) ?? throw Missing(key);
        public int ReqInt(string key) => OptInt(key) ?? throw Missing(key);
        public double ReqDouble(string key) => OptDouble(key) ?? throw Missing(key);

        public string? OptString(string key)
        {
            var v = Get(key);
            if (v is null) return null;
            if (v.Value.ValueKind != JsonValueKind.String) throw Bad(key, "a string", v.Value);
            return v.Value.GetString();
        }

        public int? OptInt(string key)
        {
            var v = Get(key);
            if (v is null) return null;
            if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetInt32(out int i)) throw Bad(key, "an integer", v.Value);
            return i;
        }

        public double? OptDouble(string key)
        {
            var v = Get(key);
            if (v is null) return null;
            if (v.Value.ValueKind != JsonValueKind.Number) throw Bad(key, "a number", v.Value);
            return v.Value.GetDouble();
        }

        public bool? OptBool(string key)
        {
            var v = Get(key);
            if (v is null) return null;
            if (v.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Bad(key, "true or false", v.Value);
            return v.Value.GetBoolean();
        }

        private DssException Missing(string key) => new($"{source}: required field '{key}' is missing");
        private DssException Bad(string key, string what, JsonElement v) => new($"{source}: field '{key}' must be {what}, got {v.GetRawText()}");
    }
}
