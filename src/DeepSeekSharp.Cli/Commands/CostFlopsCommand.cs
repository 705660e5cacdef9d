using System.CommandLine;
using DeepSeekSharp.CostModel;
using static DeepSeekSharp.Cli.Commands.CostOutput;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss cost flops`: training compute per token (the paper's Table 2).</summary>
internal static class CostFlopsCommand
{
    public static Command Create()
    {
        var cmd = new Command("flops", "Training GFLOP per token (forward + backward, causal attention) of MoE and dense models (Table 2)");
        var format = CostOptions.Format();
        var config = CostOptions.Config();
        var seq = new Option<int>("--seq-len")
        {
            Description = "Training sequence length; causal attention costs grow with it (the paper: 4096)",
            DefaultValueFactory = _ => TrainingFlops.PaperSequenceLength,
        };
        cmd.Options.Add(config);
        cmd.Options.Add(seq);
        cmd.Options.Add(format);
        cmd.SetGuardedAction(p =>
        {
            var report = Build(CostOptions.Configs(p, config, ShippedConfigs.DeepSeekV2, ShippedConfigs.DeepSeekV3, ShippedConfigs.Qwen72B,
                ShippedConfigs.Llama31_405B), p.GetValue(seq));
            var f = CostOptions.GetFormat(p, format);
            if (f == CostFormat.Json) PrintJson(report, CostJsonContext.Default.FlopsReport);
            else Print(ToTable(report), f);
            return 0;
        });
        return cmd;
    }

    public static FlopsReport Build(IReadOnlyList<(ArchConfig Config, string? Key)> configs, int sequenceLength) =>
        new(sequenceLength, configs.Select(c =>
        {
            var x = TrainingFlops.PerToken(c.Config, sequenceLength);
            double? paper = sequenceLength == TrainingFlops.PaperSequenceLength && c.Key is { } k && PaperTables.TrainingGflops.TryGetValue(k, out var v) ? v : null;
            return new FlopsRow(x.Model, c.Config.Source, x.IsMoe ? "MoE" : "Dense", x.Exact / 1e9, x.AttentionFlops / 1e9, x.PaperConvention / 1e9,
                paper, Residual(x.PaperConvention / 1e9, paper));
        }).ToArray());

    private static CostTable ToTable(FlopsReport r)
    {
        var t = new CostTable($"Training GFLOP per token (sequence length {r.SequenceLength})",
            "Model", "Kind", "Exact", "of which attention", "Paper convention", "Paper", "Residual");
        foreach (var x in r.Rows)
            t.Add(x.Model, x.Kind, N(x.ExactGflop, "0.0"), N(x.AttentionGflop, "0.0"), N(x.PaperConventionGflop, "0.0"), N(x.PaperGflop, "0"), Pct(x.Residual));
        t.Notes.Add("Exact = 6 x activated parameters + causal attention 3 x layers x 2 x heads x (d_qk + d_v) x (seq + 1) / 2.");
        t.Notes.Add("Paper convention = Exact for MoE; for dense models DeepSeek LLM's 72 n_layer d^2 + 6 n_layer d seq, which the paper's dense rows follow "
            + "(Qwen-72B's real shapes need 442 GFLOP: its MLP is 9 d^2 per layer, not the formula's 8 d^2).");
        t.Notes.Add("Residual = paper convention vs paper.");
        return t;
    }
}
