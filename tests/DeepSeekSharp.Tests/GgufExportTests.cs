using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Conversion;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>v3-tiny (and the V2-Lite and FP8 fixtures) exported to GGUF and read back with our own reader.</summary>
public class GgufExportTests
{
    internal static string Export(Fixtures.TempDir tmp, string model, GgmlType type)
    {
        string path = tmp.File($"{model}-{GgmlTypes.Name(type)}.gguf");
        Deepseek2GgufExporter.Export(Fixtures.Dir(model), path, new GgufExportOptions(type) { SyntheticTokenizer = true });
        return path;
    }

    public static TheoryData<string> Types() => new() { "f32", "f16", "bf16", "q8_0" };

    [Theory]
    [MemberData(nameof(Types))]
    public void V3TinyMetadataIsWhatLlamaCppReads(string typeName)
    {
        var type = GgmlTypes.Parse(typeName);
        using var tmp = new Fixtures.TempDir();
        using var r = GgufReader.Open(Export(tmp, "v3-tiny", type));
        Assert.Equal("deepseek2", r.GetString("general.architecture"));
        Assert.Equal("v3-tiny", r.GetString("general.name"));
        Assert.Equal(GgmlTypes.FileType(type), (uint)r.GetInteger("general.file_type"));
        Assert.Equal(32, r.GetInteger("general.alignment"));
        var expect = new Dictionary<string, double>
        {
            ["block_count"] = 3, ["context_length"] = 128, ["embedding_length"] = 64, ["feed_forward_length"] = 160,
            ["vocab_size"] = 1024, ["leading_dense_block_count"] = 1, ["nextn_predict_layers"] = 0,
            ["attention.head_count"] = 4, ["attention.head_count_kv"] = 1, ["attention.layer_norm_rms_epsilon"] = 1e-6f,
            ["attention.q_lora_rank"] = 48, ["attention.kv_lora_rank"] = 32,
            ["attention.key_length"] = 40, ["attention.value_length"] = 32, ["attention.key_length_mla"] = 24, ["attention.value_length_mla"] = 12,
            ["rope.dimension_count"] = 8, ["rope.freq_base"] = 10000, ["rope.scaling.factor"] = 4, ["rope.scaling.original_context_length"] = 32,
            ["rope.scaling.yarn_log_multiplier"] = 0.1f, ["rope.scaling.yarn_beta_fast"] = 32, ["rope.scaling.yarn_beta_slow"] = 1,
            ["expert_count"] = 16, ["expert_used_count"] = 4, ["expert_shared_count"] = 1, ["expert_feed_forward_length"] = 32,
            ["expert_weights_scale"] = 2.5, ["expert_gating_func"] = 2, ["expert_group_count"] = 4, ["expert_group_used_count"] = 2,
        };
        foreach (var (k, v) in expect) Assert.True(r.GetDouble("deepseek2." + k) == v, $"deepseek2.{k} = {r.Get("deepseek2." + k)}, expected {v}");
        Assert.Equal(true, r.Get("deepseek2.expert_weights_norm").Value);
        Assert.Equal("yarn", r.GetString("deepseek2.rope.scaling.type"));
        Assert.Equal("gpt2", r.GetString("tokenizer.ggml.model"));
        Assert.Equal("deepseek-v3", r.GetString("tokenizer.ggml.pre"));
        var tokens = r.GetArray<string>("tokenizer.ggml.tokens");
        Assert.Equal(1024, tokens.Length);
        Assert.Equal(SyntheticTokenizer.Bos, tokens[0]);
        Assert.Equal(1024, r.GetArray<int>("tokenizer.ggml.token_type").Length);
        Assert.Equal(1024 - 258, r.GetArray<string>("tokenizer.ggml.merges").Length);
        Assert.Equal(0, r.GetInteger("tokenizer.ggml.bos_token_id"));
        Assert.Equal(1, r.GetInteger("tokenizer.ggml.eos_token_id"));
        if (type == GgmlType.Q8_0) Assert.Equal(2, r.GetInteger("general.quantization_version"));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void V3TinyTensorsHaveLlamaCppNamesShapesAndTypes(string typeName)
    {
        var type = GgmlTypes.Parse(typeName);
        using var tmp = new Fixtures.TempDir();
        using var r = GgufReader.Open(Export(tmp, "v3-tiny", type));
        var expected = new Dictionary<string, long[]>
        {
            ["token_embd.weight"] = new long[] { 64, 1024 },
            ["output_norm.weight"] = new long[] { 64 },
            ["output.weight"] = new long[] { 64, 1024 },
        };
        for (int l = 0; l < 3; l++)
        {
            void E(string n, params long[] d) => expected[$"blk.{l}.{n}"] = d;
            E("attn_norm.weight", 64);
            E("attn_q_a.weight", 64, 48);
            E("attn_q_a_norm.weight", 48);
            E("attn_q_b.weight", 48, 4 * 24);
            E("attn_kv_a_mqa.weight", 64, 32 + 8);
            E("attn_kv_a_norm.weight", 32);
            E("attn_k_b.weight", 16, 32, 4);
            E("attn_v_b.weight", 32, 12, 4);
            E("attn_output.weight", 4 * 12, 64);
            E("ffn_norm.weight", 64);
            if (l == 0)
            {
                E("ffn_gate.weight", 64, 160);
                E("ffn_up.weight", 64, 160);
                E("ffn_down.weight", 160, 64);
                continue;
            }
            E("ffn_gate_inp.weight", 64, 16);
            E("exp_probs_b.bias", 16);
            E("ffn_gate_exps.weight", 64, 32, 16);
            E("ffn_up_exps.weight", 64, 32, 16);
            E("ffn_down_exps.weight", 32, 64, 16);
            E("ffn_gate_shexp.weight", 64, 32);
            E("ffn_up_shexp.weight", 64, 32);
            E("ffn_down_shexp.weight", 32, 64);
        }
        Assert.Equal(expected.Keys.Order(), r.Tensors.Select(t => t.Name).Order());
        foreach (var t in r.Tensors)
        {
            Assert.True(expected[t.Name].SequenceEqual(t.Dims), $"{t.Name}: {t.DimsString}");
            var want = t.Dims.Length == 1 || t.Name.EndsWith("ffn_gate_inp.weight") ? GgmlType.F32
                : type == GgmlType.Q8_0 && t.Dims[0] % 32 != 0 ? GgmlType.F16 : type;
            Assert.True(want == t.Type, $"{t.Name}: {t.Type}, expected {want}");
        }
        // Q8_0 really quantises where it can (k_b rows of 16 and attn_output rows of 48 fall back to F16).
        if (type == GgmlType.Q8_0)
        {
            Assert.Equal(GgmlType.Q8_0, r.Info("blk.1.ffn_gate_exps.weight").Type);
            Assert.Equal(GgmlType.F16, r.Info("blk.1.attn_k_b.weight").Type);
        }
    }

    [Fact]
    public void F32ExportHoldsTheCheckpointValuesExactly()
    {
        using var tmp = new Fixtures.TempDir();
        using var r = GgufReader.Open(Export(tmp, "v3-tiny", GgmlType.F32));
        using var ck = Checkpoint.Open(Fixtures.Dir("v3-tiny"));
        Assert.Equal(ck.ReadF32(HfNames.Embed), r.ReadF32("token_embd.weight"));
        Assert.Equal(ck.ReadF32(HfNames.Head), r.ReadF32("output.weight"));
        Assert.Equal(ck.ReadF32(HfNames.WqA(1)), r.ReadF32("blk.1.attn_q_a.weight"));
        Assert.Equal(ck.ReadF32(HfNames.QNorm(2)), r.ReadF32("blk.2.attn_q_a_norm.weight"));
        Assert.Equal(ck.ReadF32(HfNames.GateWeight(2)), r.ReadF32("blk.2.ffn_gate_inp.weight"));
        Assert.Equal(ck.ReadF32(HfNames.GateBias(2)), r.ReadF32("blk.2.exp_probs_b.bias"));
        Assert.Equal(ck.ReadF32(HfNames.W1(HfNames.DenseMlp(0))), r.ReadF32("blk.0.ffn_gate.weight"));
        Assert.Equal(ck.ReadF32(HfNames.W2(HfNames.SharedExperts(1))), r.ReadF32("blk.1.ffn_down_shexp.weight"));

        // Merged experts: expert e occupies the e-th [rows, cols] slab.
        var down = r.ReadF32("blk.2.ffn_down_exps.weight");
        for (int e = 0; e < 16; e++)
            Assert.Equal(ck.ReadF32(HfNames.W2(HfNames.Expert(2, e))), down.AsSpan(e * 64 * 32, 64 * 32).ToArray());

        // kv_b [4 heads * (16 nope + 12 v), 32] split: k_b[h][c][d] = kv_b[h*28 + d][c], v_b[h][d][c] = kv_b[h*28 + 16 + d][c].
        var kvb = ck.ReadF32(HfNames.WkvB(1));
        var kb = r.ReadF32("blk.1.attn_k_b.weight");
        var vb = r.ReadF32("blk.1.attn_v_b.weight");
        for (int h = 0; h < 4; h++)
            for (int c = 0; c < 32; c++)
            {
                for (int d = 0; d < 16; d++) Assert.Equal(kvb[(h * 28 + d) * 32 + c], kb[(h * 32 + c) * 16 + d]);
                for (int d = 0; d < 12; d++) Assert.Equal(kvb[(h * 28 + 16 + d) * 32 + c], vb[(h * 12 + d) * 32 + c]);
            }
    }

    [Fact]
    public void Bf16IsExactAndQ8_0StaysWithinItsQuantisationError()
    {
        using var tmp = new Fixtures.TempDir();
        using var ck = Checkpoint.Open(Fixtures.Dir("v3-tiny"));
        using var bf = GgufReader.Open(Export(tmp, "v3-tiny", GgmlType.BF16));
        using var f16 = GgufReader.Open(Export(tmp, "v3-tiny", GgmlType.F16));
        using var q8 = GgufReader.Open(Export(tmp, "v3-tiny", GgmlType.Q8_0));
        var src = ck.ReadF32(HfNames.Embed);
        Assert.Equal(src, bf.ReadF32("token_embd.weight"));
        var h = f16.ReadF32("token_embd.weight");
        for (int i = 0; i < src.Length; i++) Assert.True(Math.Abs(h[i] - src[i]) <= Math.Abs(src[i]) * 1e-3 + 1e-7, $"f16 [{i}]");

        foreach (var (gguf, hf) in new[] { ("token_embd.weight", HfNames.Embed), ("blk.1.attn_kv_a_mqa.weight", HfNames.WkvA(1)) })
        {
            var x = ck.ReadF32(hf);
            var q = q8.ReadF32(gguf);
            Assert.Equal(GgmlType.Q8_0, q8.Info(gguf).Type);
            double worst = 0;
            for (int b = 0; b < x.Length / 32; b++)
            {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(x[b * 32 + j]));
                float d = amax / 127;
                for (int j = 0; j < 32; j++)
                {
                    double err = Math.Abs(q[b * 32 + j] - x[b * 32 + j]);
                    Assert.True(err <= d * 0.5 + amax * 1e-3 + 1e-9, $"{gguf} block {b}: error {err} > half a step of {d}");
                    worst = Math.Max(worst, err / Math.Max(d, 1e-30));
                }
            }
            Assert.True(worst > 0.05, $"{gguf}: the Q8_0 data looks unquantised (worst error {worst} steps)");
        }
    }

    [Fact]
    public void Fp8CheckpointIsDequantisedWithItsBlockScales()
    {
        using var tmp = new Fixtures.TempDir();
        using var r = GgufReader.Open(Export(tmp, "v3-fp8-tiny", GgmlType.F32));
        var config = ModelConfig.Load(Fixtures.Dir("v3-fp8-tiny"));
        using var w = new ModelWeights(Checkpoint.Open(Fixtures.Dir("v3-fp8-tiny")), config);
        int l = config.FirstKDenseReplace; // a MoE layer
        var name = HfNames.W1(HfNames.Expert(l, 1));
        Assert.Equal(DType.F8_E4M3, w.Checkpoint.Info(name).DType);
        var view = w.Matrix(name, config.MoeIntermediateSize, config.HiddenSize);
        var exps = r.ReadF32($"blk.{l}.ffn_gate_exps.weight");
        int n = view.Rows * view.Cols;
        for (int i = 0; i < view.Rows; i++)
            for (int j = 0; j < view.Cols; j++)
                Assert.Equal(view.At(i, j), exps[n + i * view.Cols + j]);
        // attn_output has partial 128-blocks in the fixture; check a row past the first block row.
        var wo = w.Matrix(HfNames.Wo(0), config.HiddenSize, config.NumAttentionHeads * config.VHeadDim);
        var got = r.ReadF32("blk.0.attn_output.weight");
        int row = Math.Min(wo.Rows - 1, 130);
        for (int j = 0; j < wo.Cols; j++) Assert.Equal(wo.At(row, j), got[row * wo.Cols + j]);
    }

    [Fact]
    public void V2LiteWithoutQCompressionExportsAttnQAndSoftmaxGating()
    {
        using var tmp = new Fixtures.TempDir();
        using var r = GgufReader.Open(Export(tmp, "v2-lite-tiny", GgmlType.F32));
        var c = ModelConfig.Load(Fixtures.Dir("v2-lite-tiny"));
        Assert.Null(c.QLoraRank);
        Assert.Equal(0, r.GetInteger("deepseek2.attention.q_lora_rank"));
        Assert.Equal(1, r.GetInteger("deepseek2.expert_gating_func"));
        Assert.False(r.Metadata.ContainsKey("deepseek2.expert_group_count"));
        Assert.Equal(new long[] { c.HiddenSize, c.NumAttentionHeads * c.QkHeadDim }, r.Info("blk.0.attn_q.weight").Dims);
        Assert.False(r.Contains("blk.0.attn_q_a.weight"));
        Assert.False(r.Contains($"blk.{c.FirstKDenseReplace}.exp_probs_b.bias"));
        Assert.Equal(new long[] { c.MoeIntermediateSize * c.NSharedExperts, c.HiddenSize }, r.Info($"blk.{c.FirstKDenseReplace}.ffn_down_shexp.weight").Dims);
    }

    [Fact]
    public void AModelWithoutTokenizerNeedsOneNamed()
    {
        using var tmp = new Fixtures.TempDir();
        var e = Assert.Throws<DssException>(() =>
            Deepseek2GgufExporter.Export(Fixtures.Dir("v3-tiny"), tmp.File("x.gguf"), new GgufExportOptions(GgmlType.F32)));
        Assert.Contains("--synthetic-tokenizer", e.Message);
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }
}
