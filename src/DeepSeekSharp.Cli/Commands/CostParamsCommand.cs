using System.CommandLine;
using DeepSeekSharp.CostModel;
using static DeepSeekSharp.Cli.Commands.CostOutput;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss cost params`: total and activated parameters, counted matrix by matrix.</summary>
internal static class CostParamsCommand
{
    public static Command Create()
    {
        var cmd = new Command("params", "Total and activated parameters per token of MoE and dense models, counted matrix by matrix from config.json");
        var format = CostOptions.Format();
        var config = CostOptions.Config();
        cmd.Options.Add(config);
        cmd.Options.Add(format);
        cmd.SetGuardedAction(p =>
        {
            var report = Build(CostOptions.Configs(p, config, ShippedConfigs.DeepSeekV3, ShippedConfigs.DeepSeekV2, ShippedConfigs.DeepSeekV2Lite,
                ShippedConfigs.Moonlight, ShippedConfigs.Qwen72B, ShippedConfigs.Qwen25_72B, ShippedConfigs.Llama31_405B));
            var f = CostOptions.GetFormat(p, format);
            if (f == CostFormat.Json) PrintJson(report, CostJsonContext.Default.ParamsReport);
            else Print(ToTable(report), f);
            return 0;
        });
        return cmd;
    }

    public static ParamsReport Build(IReadOnlyList<(ArchConfig Config, string? Key)> configs) =>
        new(configs.Select(c =>
        {
            var n = ParamCount.Of(c.Config);
            (double Total, double? Active)? paper = c.Key is { } k && PaperTables.ParamsBillions.TryGetValue(k, out var v) ? v : null;
            return new ParamsRow(c.Config.Name, c.Config.Source, n.Total, n.Active, n.Embedding, n.Head, c.Config.MoeLayerCount, n.Mtp,
                paper?.Total, paper?.Active);
        }).ToArray());

    private static CostTable ToTable(ParamsReport r)
    {
        var t = new CostTable("Parameters (billions)", "Model", "Total", "Activated", "Embedding", "Head", "MoE layers", "MTP", "Published total", "Published active");
        foreach (var x in r.Rows)
            t.Add(x.Model, N(x.Total / 1e9, "0.00"), N(x.Active / 1e9, "0.00"), N(x.Embedding / 1e9, "0.00"), N(x.Head / 1e9, "0.00"),
                x.MoeLayers.ToString(Inv), N(x.Mtp / 1e9, "0.00"), N(x.PaperTotalBillions, "0.#"), N(x.PaperActiveBillions, "0.#"));
        t.Notes.Add("Activated = every layer weight one token uses (top-k routed + shared experts) plus the output head, not the embedding table (DeepSeek's convention: V3 36.6B incl. 0.9B head; the paper rounds to 37B).");
        t.Notes.Add("Totals exclude MTP modules (shown apart), as DeepSeek's 671B does.");
        return t;
    }
}
