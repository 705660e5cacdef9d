using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;
using static DeepSeekSharp.Conversion.Deepseek2GgufNames;

namespace DeepSeekSharp.Conversion;

/// <summary>
/// Exports a DeepSeek-V2/V3 checkpoint as a GGUF file of llama.cpp's "deepseek2" architecture: the hyper-parameters
/// under deepseek2.*, the tokenizer as a "gpt2" BPE vocabulary, and the weights renamed, with kv_b_proj split per
/// head into attn_k_b (transposed) and attn_v_b for llama.cpp's absorbed MLA, and the routed experts of each layer
/// merged into one 3-D tensor per projection. FP8 weights are dequantised with their block scales on the way; the
/// MTP layers are left out (as llama.cpp's own converter does). Tensors are streamed one row at a time.
/// </summary>
public static class Deepseek2GgufExporter
{
    /// <summary>Converts <paramref name="modelDir"/> into <paramref name="outPath"/>; returns the planned tensors.</summary>
    public static IReadOnlyList<GgufTensorInfo> Export(string modelDir, string outPath, GgufExportOptions options, Action<string>? log = null)
    {
        var config = ModelConfig.Load(modelDir);
        var tok = LoadTokenizer(modelDir, config, options);
        using var ck = Checkpoint.Open(modelDir);
        using var weights = new ModelWeights(ck, config);
        string name = options.Name ?? new DirectoryInfo(Path.GetFullPath(modelDir)).Name;
        var writer = Plan(weights, tok, options.Type, name);
        long bytes = writer.Tensors.Sum(t => t.ByteLength);
        log?.Invoke($"writing {writer.Tensors.Count()} tensors ({bytes / 1e6:F1} MB of data, {GgmlTypes.Name(options.Type)}) to {outPath}");
        writer.Write(outPath, t => log?.Invoke($"  {t.Name,-32} {GgmlTypes.Name(t.Type),-5} {t.DimsString}"));
        return writer.Tensors.ToList();
    }

    private static GgufTokenizerData LoadTokenizer(string modelDir, ModelConfig c, GgufExportOptions o)
    {
        if (o.SyntheticTokenizer) return SyntheticTokenizer.ToGgufData(c.VocabSize);
        string path = o.TokenizerPath ?? Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path))
            throw new DssException(o.TokenizerPath is null
                ? $"{modelDir}: no tokenizer.json (llama.cpp needs a vocabulary): pass --tokenizer FILE, or --synthetic-tokenizer for a test model"
                : $"{path}: tokenizer file not found");
        return GgufTokenizerData.Load(path, c.VocabSize, c.BosTokenId, c.EosTokenId);
    }

    /// <summary>Metadata and tensor plan; the producers read from <paramref name="w"/>, which must stay open until written.</summary>
    public static GgufWriter Plan(ModelWeights w, GgufTokenizerData tok, GgmlType type, string name)
    {
        var c = w.Config;
        Validate(c);
        var g = new GgufWriter();
        WriteMetadata(g, c, tok, type, name);

        int dim = c.HiddenSize;
        AddMatrix(g, TokenEmbd, w, HfNames.Embed, c.VocabSize, dim, type);
        for (int l = 0; l < c.NumHiddenLayers; l++) AddLayer(g, w, l, type);
        AddVector(g, OutputNorm, w, HfNames.Norm, dim);
        if (!(c.TieWordEmbeddings && !w.Has(HfNames.Head)))
            AddMatrix(g, Output, w, HfNames.Head, c.VocabSize, dim, type);
        return g;
    }

    private static void Validate(ModelConfig c)
    {
        if (c.NRoutedExperts > 0 && c.MoeLayerFreq != 1)
            throw new DssException($"moe_layer_freq {c.MoeLayerFreq}: llama.cpp's deepseek2 only knows leading dense layers followed by MoE layers");
        if (c.NRoutedExperts > 0 && c.NSharedExperts == 0)
            throw new DssException("a MoE model without shared experts cannot be expressed as llama.cpp's deepseek2 (it requires ffn_*_shexp)");
    }

    private static void WriteMetadata(GgufWriter g, ModelConfig c, GgufTokenizerData tok, GgmlType type, string name)
    {
        g.Set("general.architecture", GgufValue.Str(Arch));
        g.Set("general.name", GgufValue.Str(name));
        g.Set("general.file_type", GgufValue.U32(GgmlTypes.FileType(type)));
        if (type == GgmlType.Q8_0) g.Set("general.quantization_version", GgufValue.U32(2));

        g.Set(Key("vocab_size"), GgufValue.U32((uint)c.VocabSize));
        g.Set(Key("context_length"), GgufValue.U32((uint)c.MaxPositionEmbeddings));
        g.Set(Key("embedding_length"), GgufValue.U32((uint)c.HiddenSize));
        g.Set(Key("feed_forward_length"), GgufValue.U32((uint)c.IntermediateSize));
        g.Set(Key("block_count"), GgufValue.U32((uint)c.NumHiddenLayers));
        g.Set(Key("leading_dense_block_count"), GgufValue.U32((uint)(c.NRoutedExperts > 0 ? Math.Min(c.FirstKDenseReplace, c.NumHiddenLayers) : c.NumHiddenLayers)));
        g.Set(Key("nextn_predict_layers"), GgufValue.U32(0)); // MTP layers are not exported

        // MLA runs in llama.cpp as MQA over the latent: one KV head of kv_lora_rank (+ rope) width; the _mla keys hold the per-head sizes.
        g.Set(Key("attention.head_count"), GgufValue.U32((uint)c.NumAttentionHeads));
        g.Set(Key("attention.head_count_kv"), GgufValue.U32(1));
        g.Set(Key("attention.layer_norm_rms_epsilon"), GgufValue.F32((float)c.RmsNormEps));
        g.Set(Key("attention.q_lora_rank"), GgufValue.U32((uint)(c.QLoraRank ?? 0))); // 0: q_proj (llama.cpp then loads attn_q)
        g.Set(Key("attention.kv_lora_rank"), GgufValue.U32((uint)c.KvLoraRank));
        g.Set(Key("attention.key_length"), GgufValue.U32((uint)(c.KvLoraRank + c.QkRopeHeadDim)));
        g.Set(Key("attention.value_length"), GgufValue.U32((uint)c.KvLoraRank));
        g.Set(Key("attention.key_length_mla"), GgufValue.U32((uint)c.QkHeadDim));
        g.Set(Key("attention.value_length_mla"), GgufValue.U32((uint)c.VHeadDim));

        g.Set(Key("rope.dimension_count"), GgufValue.U32((uint)c.QkRopeHeadDim));
        g.Set(Key("rope.freq_base"), GgufValue.F32((float)c.RopeTheta));
        if (c.RopeScaling is { } y && y.Factor > 1)
        {
            g.Set(Key("rope.scaling.type"), GgufValue.Str("yarn"));
            g.Set(Key("rope.scaling.factor"), GgufValue.F32((float)y.Factor));
            g.Set(Key("rope.scaling.original_context_length"), GgufValue.U32((uint)y.OriginalMaxPositionEmbeddings));
            g.Set(Key("rope.scaling.yarn_beta_fast"), GgufValue.F32((float)y.BetaFast));
            g.Set(Key("rope.scaling.yarn_beta_slow"), GgufValue.F32((float)y.BetaSlow));
            // llama.cpp divides this by 0.1 again when loading deepseek2 (its converter's legacy convention).
            g.Set(Key("rope.scaling.yarn_log_multiplier"), GgufValue.F32((float)(0.1 * y.MscaleAllDim)));
        }

        if (c.NRoutedExperts > 0)
        {
            g.Set(Key("expert_count"), GgufValue.U32((uint)c.NRoutedExperts));
            g.Set(Key("expert_used_count"), GgufValue.U32((uint)c.NumExpertsPerTok));
            g.Set(Key("expert_shared_count"), GgufValue.U32((uint)c.NSharedExperts));
            g.Set(Key("expert_feed_forward_length"), GgufValue.U32((uint)c.MoeIntermediateSize));
            g.Set(Key("expert_weights_scale"), GgufValue.F32((float)c.RoutedScalingFactor));
            g.Set(Key("expert_weights_norm"), GgufValue.Bool(c.NormTopkProb));
            g.Set(Key("expert_gating_func"), GgufValue.U32(c.ScoringFunc == ScoringFunc.Sigmoid ? 2u : 1u)); // llama_expert_gating_func_type
            if (c.NGroup > 1 && c.TopkGroup < c.NGroup && c.TopkMethod != TopkMethod.Greedy)
            {
                g.Set(Key("expert_group_count"), GgufValue.U32((uint)c.NGroup));
                g.Set(Key("expert_group_used_count"), GgufValue.U32((uint)c.TopkGroup));
            }
        }
        else
        {
            g.Set(Key("expert_feed_forward_length"), GgufValue.U32((uint)c.IntermediateSize));
            g.Set(Key("expert_shared_count"), GgufValue.U32(0));
        }

        g.Set("tokenizer.ggml.model", GgufValue.Str("gpt2"));
        g.Set("tokenizer.ggml.pre", GgufValue.Str(PreTokenizer));
        g.Set("tokenizer.ggml.tokens", GgufValue.Strings(tok.Tokens));
        g.Set("tokenizer.ggml.token_type", GgufValue.I32s(tok.TokenTypes));
        g.Set("tokenizer.ggml.merges", GgufValue.Strings(tok.Merges));
        if (tok.BosId is { } bos) g.Set("tokenizer.ggml.bos_token_id", GgufValue.U32((uint)bos));
        if (tok.EosId is { } eos) g.Set("tokenizer.ggml.eos_token_id", GgufValue.U32((uint)eos));
        if (tok.PadId is { } pad) g.Set("tokenizer.ggml.padding_token_id", GgufValue.U32((uint)pad));
        if (tok.AddBos is { } ab) g.Set("tokenizer.ggml.add_bos_token", GgufValue.Bool(ab));
        if (tok.AddEos is { } ae) g.Set("tokenizer.ggml.add_eos_token", GgufValue.Bool(ae));
        if (tok.ChatTemplate is { } ct) g.Set("tokenizer.chat_template", GgufValue.Str(ct));
    }

    private static void AddLayer(GgufWriter g, ModelWeights w, int l, GgmlType type)
    {
        var c = w.Config;
        int dim = c.HiddenSize, nh = c.NumAttentionHeads;
        AddVector(g, Blk(l, AttnNorm), w, HfNames.AttnNorm(l), dim);
        if (c.QLoraRank is { } qr)
        {
            AddMatrix(g, Blk(l, AttnQA), w, HfNames.WqA(l), qr, dim, type);
            AddVector(g, Blk(l, AttnQANorm), w, HfNames.QNorm(l), qr);
            AddMatrix(g, Blk(l, AttnQB), w, HfNames.WqB(l), nh * c.QkHeadDim, qr, type);
        }
        else AddMatrix(g, Blk(l, AttnQ), w, HfNames.Wq(l), nh * c.QkHeadDim, dim, type);
        AddMatrix(g, Blk(l, AttnKvAMqa), w, HfNames.WkvA(l), c.KvLoraRank + c.QkRopeHeadDim, dim, type);
        AddVector(g, Blk(l, AttnKvANorm), w, HfNames.KvNorm(l), c.KvLoraRank);
        AddKvBSplit(g, w, l, type);
        AddMatrix(g, Blk(l, AttnOutput), w, HfNames.Wo(l), dim, nh * c.VHeadDim, type);
        AddVector(g, Blk(l, FfnNorm), w, HfNames.FfnNorm(l), dim);

        if (!c.IsMoeLayer(l))
        {
            string p = HfNames.DenseMlp(l);
            AddMatrix(g, Blk(l, FfnGate), w, HfNames.W1(p), c.IntermediateSize, dim, type);
            AddMatrix(g, Blk(l, FfnUp), w, HfNames.W3(p), c.IntermediateSize, dim, type);
            AddMatrix(g, Blk(l, FfnDown), w, HfNames.W2(p), dim, c.IntermediateSize, type);
            return;
        }
        int e = c.NRoutedExperts, mi = c.MoeIntermediateSize;
        AddMatrix(g, Blk(l, FfnGateInp), w, HfNames.GateWeight(l), e, dim, GgmlType.F32);
        if (w.Has(HfNames.GateBias(l))) AddVector(g, Blk(l, ExpProbsB), w, HfNames.GateBias(l), e);
        AddExperts(g, Blk(l, FfnGateExps), w, l, HfNames.W1, mi, dim, type);
        AddExperts(g, Blk(l, FfnUpExps), w, l, HfNames.W3, mi, dim, type);
        AddExperts(g, Blk(l, FfnDownExps), w, l, HfNames.W2, dim, mi, type);
        string s = HfNames.SharedExperts(l);
        int si = mi * c.NSharedExperts;
        AddMatrix(g, Blk(l, FfnGateShexp), w, HfNames.W1(s), si, dim, type);
        AddMatrix(g, Blk(l, FfnUpShexp), w, HfNames.W3(s), si, dim, type);
        AddMatrix(g, Blk(l, FfnDownShexp), w, HfNames.W2(s), dim, si, type);
    }

    /// <summary>
    /// kv_b_proj [heads * (qk_nope + v_head), kv_lora_rank] split per head: attn_k_b holds each head's K part transposed
    /// (ggml [qk_nope, kv_lora_rank, heads]: row (h, c) = kv_b[h*(nope+v) + d, c] over d), attn_v_b each head's V part
    /// (ggml [kv_lora_rank, v_head, heads]: row (h, d) = kv_b[h*(nope+v) + nope + d, :]).
    /// </summary>
    private static void AddKvBSplit(GgufWriter g, ModelWeights w, int l, GgmlType type)
    {
        var c = w.Config;
        int nh = c.NumAttentionHeads, nope = c.QkNopeHeadDim, vd = c.VHeadDim, r = c.KvLoraRank, per = nope + vd;
        var view = w.Matrix(HfNames.WkvB(l), nh * per, r);
        g.AddTensor(Blk(l, AttnKB), new long[] { nope, r, nh }, Pick(type, nope), sink =>
        {
            var all = view.ReadAll(); // (nh * per, r)
            var row = new float[nope];
            for (int h = 0; h < nh; h++)
                for (int j = 0; j < r; j++)
                {
                    for (int d = 0; d < nope; d++) row[d] = all[(long)(h * per + d) * r + j];
                    sink.WriteRow(row);
                }
        });
        g.AddTensor(Blk(l, AttnVB), new long[] { r, vd, nh }, Pick(type, r), sink =>
        {
            var row = new float[r];
            for (int h = 0; h < nh; h++)
                for (int d = 0; d < vd; d++)
                {
                    view.ReadRow(h * per + nope + d, row);
                    sink.WriteRow(row);
                }
        });
    }

    /// <summary>The routed experts' [rows, cols] weights of one projection stacked into ggml [cols, rows, experts].</summary>
    private static void AddExperts(GgufWriter g, string name, ModelWeights w, int l, Func<string, string> proj, int rows, int cols, GgmlType type)
    {
        int n = w.Config.NRoutedExperts;
        var views = new WeightView[n];
        for (int e = 0; e < n; e++) views[e] = w.Matrix(proj(HfNames.Expert(l, e)), rows, cols);
        g.AddTensor(name, new long[] { cols, rows, n }, Pick(type, cols), sink =>
        {
            var row = new float[cols];
            foreach (var v in views)
                for (int r = 0; r < rows; r++)
                {
                    v.ReadRow(r, row);
                    sink.WriteRow(row);
                }
        });
    }

    private static void AddMatrix(GgufWriter g, string name, ModelWeights w, string hfName, int rows, int cols, GgmlType type)
    {
        var v = w.Matrix(hfName, rows, cols);
        g.AddTensor(name, new long[] { cols, rows }, Pick(type, cols), sink =>
        {
            var row = new float[cols];
            for (int r = 0; r < rows; r++)
            {
                v.ReadRow(r, row);
                sink.WriteRow(row);
            }
        });
    }

    private static void AddVector(GgufWriter g, string name, ModelWeights w, string hfName, int n)
    {
        var values = w.Vector(hfName, n);
        g.AddTensor(name, new long[] { n }, GgmlType.F32, sink => sink.WriteRow(values));
    }

    /// <summary>The type of a matrix whose rows have ne0 values: Q8_0 needs whole blocks of 32, else F16 (as llama.cpp's converter).</summary>
    public static GgmlType Pick(GgmlType type, long ne0) =>
        type == GgmlType.Q8_0 && ne0 % Q8_0.BlockSize != 0 ? GgmlType.F16 : type;
}
