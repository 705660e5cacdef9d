using System.CommandLine;
using DeepSeekSharp.CostModel;
using static DeepSeekSharp.Cli.Commands.CostOutput;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss cost mtp`: expected decode speed-up of MTP speculative decoding.</summary>
internal static class CostMtpCommand
{
    public static Command Create()
    {
        var cmd = new Command("mtp", "Expected decode speed-up of MTP speculative decoding from acceptance rate and draft cost (the paper: 80-90% acceptance, 1.8x)");
        var format = CostOptions.Format();
        var config = CostOptions.Config();
        var acceptance = new Option<double[]>("--acceptance")
        {
            Description = "Probability each draft token is accepted, 0-1; repeat for several (default: the paper's 0.80, 0.85, 0.90)",
            DefaultValueFactory = _ => MtpSpeedup.PaperAcceptance,
            AllowMultipleArgumentsPerToken = false,
        };
        var depth = new Option<int>("--depth") { Description = "Draft tokens per step (MTP modules chained; DeepSeek-V3 ships 1)", DefaultValueFactory = _ => 1 };
        var draftCost = new Option<double?>("--draft-cost")
        {
            Description = "Cost of one MTP module as a fraction of a main-model decode step (default: 0, and with --config the module's activated weights over the main model's)",
        };
        foreach (Option o in new Option[] { config, acceptance, depth, draftCost, format }) cmd.Options.Add(o);
        cmd.SetGuardedAction(p =>
        {
            var costs = new List<(double Cost, string Source)>();
            if (p.GetValue(draftCost) is { } c) costs.Add((c, "--draft-cost"));
            else if ((p.GetValue(config) ?? []).Length > 0)
                foreach (var (cfg, _) in CostOptions.Configs(p, config))
                    costs.Add((MtpSpeedup.DraftCostFromConfig(cfg), cfg.MtpModules > 0 ? $"{cfg.Name} MTP module weights" : $"{cfg.Name} (no MTP module: priced as one of its MoE layers + projection + head)"));
            else costs.Add((0, "free drafts"));
            int k = p.GetValue(depth);
            var rows = costs.SelectMany(cost => (p.GetValue(acceptance) ?? []).Select(a => MtpSpeedup.Compute(a, k, cost.Cost))
                .Select(x => new MtpRow(x.Acceptance, x.Depth, x.DraftCost, x.TokensPerStep, x.Speedup))).ToArray();
            var report = new MtpReport(string.Join("; ", costs.Select(x => x.Source)), rows, PaperTables.MtpSpeedup);
            var f = CostOptions.GetFormat(p, format);
            if (f == CostFormat.Json) PrintJson(report, CostJsonContext.Default.MtpReport);
            else Print(ToTable(report), f);
            return 0;
        });
        return cmd;
    }

    private static CostTable ToTable(MtpReport r)
    {
        var t = new CostTable($"MTP speculative decoding speed-up (draft cost: {r.DraftCostSource})",
            "Acceptance", "Depth", "Draft cost", "Tokens per step", "Speed-up", "Paper");
        foreach (var x in r.Rows)
            t.Add(N(x.Acceptance, "0.00"), x.Depth.ToString(Inv), N(x.DraftCost * 100, "0.0") + "%", N(x.TokensPerStep, "0.000"), N(x.Speedup, "0.00") + "x",
                N(r.PaperSpeedup, "0.0") + "x");
        t.Notes.Add("Speed-up = (1 + a + ... + a^depth) / (1 + depth x draft cost).");
        return t;
    }
}
