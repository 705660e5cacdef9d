using System.CommandLine;
using DeepSeekSharp.CostModel;
using static DeepSeekSharp.Cli.Commands.CostOutput;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss cost kv`: KV cache bytes per token (the paper's Table 1).</summary>
internal static class CostKvCommand
{
    public static Command Create()
    {
        var cmd = new Command("kv", "KV cache bytes per token: MLA latent + rope key, or 2 x kv_heads x head_dim, per layer (Table 1)");
        var format = CostOptions.Format();
        var config = CostOptions.Config();
        var plot = CostOptions.Plot("the KV cache per token (a bar per model)");
        var dtype = new Option<string>("--cache-dtype")
        {
            Description = "Element type of the cache: bf16 (the paper's), fp8 or f32",
            DefaultValueFactory = _ => "bf16",
        };
        dtype.AcceptOnlyFromAmong("bf16", "fp8", "f32");
        cmd.Options.Add(config);
        cmd.Options.Add(dtype);
        cmd.Options.Add(format);
        cmd.Options.Add(plot);
        cmd.SetGuardedAction(p =>
        {
            var type = StorageTypes.Parse(p.GetValue(dtype)!);
            var report = Build(CostOptions.Configs(p, config, ShippedConfigs.DeepSeekV3, ShippedConfigs.Qwen25_72B, ShippedConfigs.Llama31_405B), type);
            var f = CostOptions.GetFormat(p, format);
            if (f == CostFormat.Json) PrintJson(report, CostJsonContext.Default.KvReport);
            else Print(ToTable(report), f);
            WritePlot(p.GetValue(plot), () => SvgChart.Bars($"KV cache per token ({report.CacheType})", "KB per token (1 KB = 1000 bytes)",
                "KV cache per token", report.Rows.Select(r => r.Model).ToArray(), report.Rows.Select(r => r.Kilobytes).ToArray(),
                report.Rows.Select(r => N(r.Kilobytes, "0.000") + " KB").ToArray()));
            return 0;
        });
        return cmd;
    }

    public static KvReport Build(IReadOnlyList<(ArchConfig Config, string? Key)> configs, StorageType type)
    {
        var sizes = configs.Select(c => (Size: KvCache.PerToken(c.Config, type), c.Key, c.Config.Source)).ToArray();
        double first = sizes[0].Size.BytesPerToken;
        bool paperDtype = type == StorageType.BF16;
        return new KvReport(type.Name(), sizes.Select(s =>
        {
            (double Kilobytes, double Ratio)? paper = paperDtype && s.Key is { } k && PaperTables.KvCache.TryGetValue(k, out var v) ? v : null;
            return new KvRow(s.Size.Model, s.Source, s.Size.Attention.ToString().ToUpperInvariant(), s.Size.Formula, s.Size.ElementsPerToken,
                s.Size.BytesPerToken, s.Size.KilobytesPerToken, s.Size.BytesPerToken / first, paper?.Kilobytes, paper?.Ratio);
        }).ToArray());
    }

    private static CostTable ToTable(KvReport r)
    {
        var t = new CostTable($"KV cache per token ({r.CacheType}; KB = 1000 bytes)",
            "Model", "Attention", "Elements per token", "Bytes", "KB", "Ratio", "Paper KB", "Paper ratio");
        foreach (var row in r.Rows)
            t.Add(row.Model, row.Attention, row.Formula, N(row.BytesPerToken, "#,0"), N(row.Kilobytes, "0.000"), N(row.Ratio, "0.00") + "x",
                N(row.PaperKilobytes, "0.000"), row.PaperRatio is { } pr ? N(pr, "0.00") + "x" : "-");
        t.Notes.Add("Ratios are to the first model. The paper prints 7.28x for LLaMA-3.1 405B; its own bytes give 516.096 / 70.272 = 7.34x.");
        return t;
    }
}
