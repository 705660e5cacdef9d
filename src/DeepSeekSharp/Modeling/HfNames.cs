namespace DeepSeekSharp.Modeling;

/// <summary>
/// The one table from model.py's module names to the Hugging Face checkpoint names of the DeepSeek release
/// (as DeepSeek's convert.py maps them): wq_a = q_a_proj, wkv_a = kv_a_proj_with_mqa, w1 = gate_proj, ...
/// </summary>
public static class HfNames
{
    public const string Embed = "model.embed_tokens.weight";
    public const string Norm = "model.norm.weight";
    public const string Head = "lm_head.weight";
    public const string ScaleSuffix = "_scale_inv";

    public static string Layer(int l) => $"model.layers.{l}.";

    // Block
    public static string AttnNorm(int l) => Layer(l) + "input_layernorm.weight";
    public static string FfnNorm(int l) => Layer(l) + "post_attention_layernorm.weight";

    // MLA
    public static string Wq(int l) => Layer(l) + "self_attn.q_proj.weight";
    public static string WqA(int l) => Layer(l) + "self_attn.q_a_proj.weight";
    public static string QNorm(int l) => Layer(l) + "self_attn.q_a_layernorm.weight";
    public static string WqB(int l) => Layer(l) + "self_attn.q_b_proj.weight";
    public static string WkvA(int l) => Layer(l) + "self_attn.kv_a_proj_with_mqa.weight";
    public static string KvNorm(int l) => Layer(l) + "self_attn.kv_a_layernorm.weight";
    public static string WkvB(int l) => Layer(l) + "self_attn.kv_b_proj.weight";
    public static string Wo(int l) => Layer(l) + "self_attn.o_proj.weight";

    // Dense MLP (prefix "mlp."), routed experts ("mlp.experts.{e}."), shared experts ("mlp.shared_experts.")
    public static string DenseMlp(int l) => Layer(l) + "mlp.";
    public static string Expert(int l, int e) => Layer(l) + $"mlp.experts.{e}.";
    public static string SharedExperts(int l) => Layer(l) + "mlp.shared_experts.";
    public static string W1(string mlpPrefix) => mlpPrefix + "gate_proj.weight";
    public static string W2(string mlpPrefix) => mlpPrefix + "down_proj.weight";
    public static string W3(string mlpPrefix) => mlpPrefix + "up_proj.weight";

    // Gate
    public static string GateWeight(int l) => Layer(l) + "mlp.gate.weight";
    public static string GateBias(int l) => Layer(l) + "mlp.gate.e_score_correction_bias";

    // MTP module at model.layers.{num_hidden_layers + k}
    public static string MtpEmbed(int l) => Layer(l) + "embed_tokens.weight";
    public static string MtpENorm(int l) => Layer(l) + "enorm.weight";
    public static string MtpHNorm(int l) => Layer(l) + "hnorm.weight";
    public static string MtpEhProj(int l) => Layer(l) + "eh_proj.weight";
    public static string MtpHeadNorm(int l) => Layer(l) + "shared_head.norm.weight";
    public static string MtpHead(int l) => Layer(l) + "shared_head.head.weight";
}
