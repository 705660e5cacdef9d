using System.CommandLine;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss inspect --model DIR`: architecture, parameters, bytes by dtype, latent KV cache per token.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var cmd = new Command("inspect", "Print a checkpoint's architecture, parameter counts, bytes by dtype and KV cache per token") { model };
        cmd.SetGuardedAction(p =>
        {
            using var m = Transformer.Load(p.GetValue(model)!);
            Console.Out.Write(Describe(m));
            return 0;
        });
        return cmd;
    }

    internal static string Describe(Transformer m)
    {
        var c = m.Config;
        var s = ModelSummary.Of(m);
        var w = new StringWriter();
        w.WriteLine($"model           {c.Architecture ?? "?"} ({c.ModelType}) from {m.Weights.Checkpoint.Directory}");
        w.WriteLine($"layers          {c.NumHiddenLayers}: {s.DenseLayers} dense (first_k_dense_replace {c.FirstKDenseReplace}), {s.MoeLayers} MoE; MTP layers {m.Mtp.Length} (config: {c.NumNextnPredictLayers})");
        w.WriteLine($"hidden          {c.HiddenSize}, vocab {c.VocabSize}, dense intermediate {c.IntermediateSize}, max positions {c.MaxPositionEmbeddings}");
        w.WriteLine($"attention       MLA, {c.NumAttentionHeads} heads, q_lora_rank {(c.QLoraRank?.ToString() ?? "none (q_proj)")}, kv_lora_rank {c.KvLoraRank}, qk_nope {c.QkNopeHeadDim}, qk_rope {c.QkRopeHeadDim}, v_head {c.VHeadDim}");
        string rope = c.RopeScaling is { } y
            ? $"YaRN factor {y.Factor} on {y.OriginalMaxPositionEmbeddings} positions, beta {y.BetaFast}/{y.BetaSlow}, mscale {y.Mscale}/{y.MscaleAllDim}"
            : "plain";
        w.WriteLine($"rope            theta {c.RopeTheta}, {rope}; softmax scale {c.SoftmaxScale:G6}");
        if (c.NRoutedExperts > 0)
            w.WriteLine($"moe             {c.NRoutedExperts} routed experts (intermediate {c.MoeIntermediateSize}), {c.NumExpertsPerTok} active, {c.NSharedExperts} shared; {c.TopkMethod.ToConfigName()} in {c.NGroup} groups (top {c.TopkGroup}), {c.ScoringFunc.ToConfigName()}, norm_topk_prob {c.NormTopkProb}, routed_scaling_factor {c.RoutedScalingFactor}");
        w.WriteLine($"parameters      {Fmt(s.TotalParams)} total, {Fmt(s.ActivatedParams)} activated per token (incl. embedding and head){(s.MtpParams > 0 ? $", MTP {Fmt(s.MtpParams)}" : "")}");
        w.WriteLine($"bytes by dtype  {string.Join(", ", s.BytesByDType.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value:N0}"))}");
        if (c.QuantizationConfig is { } q)
            w.WriteLine($"quantization    {q.QuantMethod} {q.Fmt}, {q.BlockRows}x{q.BlockCols} blocks, activations {q.ActivationScheme}");
        w.WriteLine($"KV cache bytes per token  {c.KvCacheBytesPerToken(2):N0} at BF16 = ({c.KvLoraRank} + {c.QkRopeHeadDim}) x {c.NumHiddenLayers} layers x 2 bytes");
        foreach (var n in m.Notes) w.WriteLine($"note            {n}");
        if (s.UnusedTensors.Count == 0) w.WriteLine("not understood  nothing: every tensor is used");
        else
        {
            w.WriteLine($"not understood  {s.UnusedTensors.Count} tensor(s) not used by the model:");
            foreach (var n in s.UnusedTensors.Take(50)) w.WriteLine($"  {n}");
            if (s.UnusedTensors.Count > 50) w.WriteLine($"  ... and {s.UnusedTensors.Count - 50} more");
        }
        return w.ToString();
    }

    private static string Fmt(long n) => n switch
    {
        >= 1_000_000_000 => $"{n / 1e9:F2}B ({n:N0})",
        >= 1_000_000 => $"{n / 1e6:F2}M ({n:N0})",
        _ => n.ToString("N0"),
    };
}
