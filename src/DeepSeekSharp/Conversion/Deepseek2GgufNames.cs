namespace DeepSeekSharp.Conversion;

/// <summary>
/// llama.cpp's tensor and metadata names for its "deepseek2" architecture (src/llama-arch.cpp, gguf-py constants).
/// Tensor dims are in ggml order: a PyTorch [out, in] weight is [in, out] here.
/// </summary>
public static class Deepseek2GgufNames
{
    public const string Arch = "deepseek2";

    /// <summary>The pre-tokenizer name llama.cpp knows for DeepSeek-V3's regexes.</summary>
    public const string PreTokenizer = "deepseek-v3";

    public const string TokenEmbd = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";

    public static string Blk(int l, string what) => $"blk.{l}.{what}";

    public const string AttnNorm = "attn_norm.weight";
    public const string AttnQ = "attn_q.weight";               // [dim, heads * qk_head_dim], without q compression
    public const string AttnQA = "attn_q_a.weight";            // [dim, q_lora_rank]
    public const string AttnQANorm = "attn_q_a_norm.weight";   // [q_lora_rank]
    public const string AttnQB = "attn_q_b.weight";            // [q_lora_rank, heads * qk_head_dim]
    public const string AttnKvAMqa = "attn_kv_a_mqa.weight";   // [dim, kv_lora_rank + qk_rope_head_dim]
    public const string AttnKvANorm = "attn_kv_a_norm.weight"; // [kv_lora_rank]
    public const string AttnKB = "attn_k_b.weight";            // [qk_nope_head_dim, kv_lora_rank, heads]
    public const string AttnVB = "attn_v_b.weight";            // [kv_lora_rank, v_head_dim, heads]
    public const string AttnOutput = "attn_output.weight";     // [heads * v_head_dim, dim]
    public const string FfnNorm = "ffn_norm.weight";
    public const string FfnGate = "ffn_gate.weight";
    public const string FfnUp = "ffn_up.weight";
    public const string FfnDown = "ffn_down.weight";
    public const string FfnGateInp = "ffn_gate_inp.weight";    // router [dim, experts]
    public const string ExpProbsB = "exp_probs_b.bias";        // e_score_correction_bias [experts]
    public const string FfnGateExps = "ffn_gate_exps.weight";  // [dim, moe_inter, experts]
    public const string FfnUpExps = "ffn_up_exps.weight";
    public const string FfnDownExps = "ffn_down_exps.weight";  // [moe_inter, dim, experts]
    public const string FfnGateShexp = "ffn_gate_shexp.weight";
    public const string FfnUpShexp = "ffn_up_shexp.weight";
    public const string FfnDownShexp = "ffn_down_shexp.weight";

    public static string Key(string suffix) => $"{Arch}.{suffix}";
}
