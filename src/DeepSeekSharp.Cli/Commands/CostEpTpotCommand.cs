using System.CommandLine;
using DeepSeekSharp.CostModel;
using static DeepSeekSharp.Cli.Commands.CostOutput;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss cost ep-tpot`: time per output token of expert-parallel decode bound by its all-to-alls (paper section 4).</summary>
internal static class CostEpTpotCommand
{
    public static Command Create()
    {
        var cmd = new Command("ep-tpot",
            "Theoretical time per output token of expert-parallel decode when the dispatch/combine all-to-alls bound it (14.76 ms at 50 GB/s, 0.82 ms at 900 GB/s)");
        var format = CostOptions.Format();
        var config = CostOptions.Config();
        var plot = CostOptions.Plot("TPOT against link bandwidth (log-log, 10-2000 GB/s)");
        var bandwidth = new Option<double[]>("--bandwidth")
        {
            Description = "Per-device link bandwidth in GB/s; repeat for several (default: 50 = CX7 400 Gb/s InfiniBand, 900 = GB200 NVL72)",
            DefaultValueFactory = _ => [EpTpot.InfiniBandCx7GBps, EpTpot.Gb200Nvl72GBps],
            AllowMultipleArgumentsPerToken = false,
        };
        var tokens = new Option<int>("--tokens-per-device") { Description = "Tokens each device holds per decode step (the paper: 32)", DefaultValueFactory = _ => 32 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size sent per token and expert (the paper: \"7K\" = 7000; DeepSeek-V3 is 7168). Overrides --config", DefaultValueFactory = _ => 7000 };
        var layers = new Option<int>("--layers") { Description = "Layers, each with one dispatch and one combine (the paper: 61). Overrides --config", DefaultValueFactory = _ => 61 };
        var experts = new Option<int>("--experts-per-token") { Description = "Experts each token is sent to: routed + shared (the paper: 8 + 1). Overrides --config", DefaultValueFactory = _ => 9 };
        var dispatch = new Option<double>("--dispatch-bytes") { Description = "Bytes per element dispatched to the experts (FP8: 1)", DefaultValueFactory = _ => 1 };
        var combine = new Option<double>("--combine-bytes") { Description = "Bytes per element combined back (BF16: 2; try 1 for FP8 combine)", DefaultValueFactory = _ => 2 };
        var micro = new Option<int>("--micro-batches") { Description = "Micro-batches overlapping compute with communication; layer time = this x one all-to-all pair (the paper: 2)", DefaultValueFactory = _ => 2 };
        foreach (Option o in new Option[] { config, bandwidth, tokens, hidden, layers, experts, dispatch, combine, micro, format, plot }) cmd.Options.Add(o);
        cmd.SetGuardedAction(p =>
        {
            var baseInputs = new List<(string Label, EpTpotInputs Inputs)>();
            var template = new EpTpotInputs(1, p.GetValue(tokens), p.GetValue(experts), p.GetValue(hidden), p.GetValue(layers),
                p.GetValue(dispatch), p.GetValue(combine), p.GetValue(micro));
            if ((p.GetValue(config) ?? []).Length == 0) baseInputs.Add(("paper constants", template));
            else
                foreach (var (c, _) in CostOptions.Configs(p, config))
                {
                    if (c.Moe is not { } m) throw new DssException($"{c.Source}: not a mixture-of-experts model (no routed experts), so it has no expert-parallel all-to-alls");
                    int shared = m.ExpertIntermediate > 0 ? m.SharedIntermediate / m.ExpertIntermediate : 0;
                    baseInputs.Add((c.Name, template with
                    {
                        Hidden = Explicit(p, hidden) ? template.Hidden : c.HiddenSize,
                        Layers = Explicit(p, layers) ? template.Layers : c.Layers,
                        ExpertsPerToken = Explicit(p, experts) ? template.ExpertsPerToken : m.ExpertsPerToken + shared,
                    }));
                }
            double[] bws = p.GetValue(bandwidth) ?? [];
            var rows = new List<EpTpotRow>();
            foreach (var (_, inputs) in baseInputs)
                foreach (double bw in bws) rows.Add(Row(inputs with { BandwidthGBps = bw }));
            var report = new EpTpotReport(rows);
            var f = CostOptions.GetFormat(p, format);
            if (f == CostFormat.Json) PrintJson(report, CostJsonContext.Default.EpTpotReport);
            else Print(ToTable(report, baseInputs.Select(b => b.Label).ToArray(), bws.Length), f);
            WritePlot(p.GetValue(plot), () => Plot(baseInputs, bws));
            return 0;
        });
        return cmd;
    }

    private static bool Explicit(ParseResult p, Option o) => p.GetResult(o) is { Implicit: false };

    public static EpTpotRow Row(EpTpotInputs i)
    {
        var r = EpTpot.Compute(i);
        bool paperConstants = i with { BandwidthGBps = 1 } == new EpTpotInputs(1);
        double? paper = paperConstants && PaperTables.EpDecode.TryGetValue(i.BandwidthGBps, out var v) ? v.TpotMs : null;
        return new EpTpotRow(i.BandwidthGBps, i.TokensPerDevice, i.ExpertsPerToken, i.Hidden, i.Layers, i.DispatchBytes, i.CombineBytes,
            i.MicroBatches, r.CommPerLayerMicroseconds, r.LayerMicroseconds, r.TpotMilliseconds, r.TokensPerSecond, paper);
    }

    /// <summary>TPOT against bandwidth for each input set, its FP8-combine variant, and markers at the asked bandwidths.</summary>
    public static string Plot(IReadOnlyList<(string Label, EpTpotInputs Inputs)> inputs, double[] bandwidths)
    {
        double[] sweep = Enumerable.Range(0, 41).Select(i => 10 * Math.Pow(200, i / 40.0)).ToArray();
        var series = new List<ChartSeries>();
        foreach (var (label, i) in inputs)
        {
            series.Add(new ChartSeries($"{label}: combine {i.CombineBytes:0.#} B", sweep.Select(bw => (bw, EpTpot.Compute(i with { BandwidthGBps = bw }).TpotMilliseconds)).ToArray()));
            if (i.CombineBytes != 1)
                series.Add(new ChartSeries($"{label}: FP8 combine", sweep.Select(bw => (bw, EpTpot.Compute(i with { BandwidthGBps = bw, CombineBytes = 1 }).TpotMilliseconds)).ToArray()));
            if (bandwidths.Length > 0)
                series.Add(new ChartSeries($"{label}: at " + string.Join(", ", bandwidths.Select(b => N(b, "0.#"))) + " GB/s",
                    bandwidths.Select(bw => (bw, EpTpot.Compute(i with { BandwidthGBps = bw }).TpotMilliseconds)).ToArray(), Markers: true));
        }
        return SvgChart.Line("EP decode TPOT bound by all-to-all communication", "per-device bandwidth (GB/s)", "TPOT (ms)", series, logX: true, logY: true);
    }

    private static CostTable ToTable(EpTpotReport r, string[] labels, int perLabel)
    {
        var t = new CostTable("Expert-parallel decode: time per output token bound by communication",
            "Inputs", "Bandwidth GB/s", "Tokens/device", "Experts/token", "Hidden", "Layers", "Bytes (dispatch+combine)", "Comm/layer us", "Layer us", "TPOT ms", "Tokens/s", "Paper TPOT ms");
        for (int i = 0; i < r.Rows.Count; i++)
        {
            var x = r.Rows[i];
            t.Add(labels[i / Math.Max(1, perLabel)], N(x.BandwidthGBps, "0.##"), x.TokensPerDevice.ToString(Inv), x.ExpertsPerToken.ToString(Inv),
                x.Hidden.ToString(Inv), x.Layers.ToString(Inv), $"{N(x.DispatchBytes, "0.#")}+{N(x.CombineBytes, "0.#")}",
                N(x.CommPerLayerMicroseconds, "0.00"), N(x.LayerMicroseconds, "0.00"), N(x.TpotMilliseconds, "0.00"), N(x.TokensPerSecond, "0.0"), N(x.PaperTpotMilliseconds, "0.00"));
        }
        t.Notes.Add("Comm/layer = (dispatch + combine bytes) x tokens x experts x hidden / bandwidth; layer = micro-batches x comm; TPOT = layers x layer.");
        return t;
    }
}
