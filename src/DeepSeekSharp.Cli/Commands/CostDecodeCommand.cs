using System.CommandLine;
using DeepSeekSharp.CostModel;
using DeepSeekSharp.Numerics;
using static DeepSeekSharp.Cli.Commands.CostOutput;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss cost decode`: the memory/compute roofline of local single-stream decode.</summary>
internal static class CostDecodeCommand
{
    public static Command Create()
    {
        var cmd = new Command("decode",
            "Upper bound on local decode tokens/s (batch 1) from a model's activated weights and KV cache, a memory bandwidth and a compute peak, and what limits it");
        var format = CostOptions.Format();
        var config = CostOptions.Config();
        var weights = new Option<string>("--weights")
        {
            Description = "Weight element type: bf16, fp8 (with DeepSeek's 128x128 block scales), q4 (4.5 bits: 4-bit + FP16 scale per 32) or f32",
            DefaultValueFactory = _ => "q4",
        };
        weights.AcceptOnlyFromAmong("bf16", "fp8", "q4", "f32");
        var cache = new Option<string>("--cache-dtype") { Description = "KV cache element type: bf16, fp8 or f32", DefaultValueFactory = _ => "bf16" };
        cache.AcceptOnlyFromAmong("bf16", "fp8", "f32");
        var context = new Option<int>("--context") { Description = "Tokens already in the KV cache, all read for each new token", DefaultValueFactory = _ => 4096 };
        var profile = new Option<string[]>("--profile")
        {
            Description = "Built-in hardware profile; repeat for several (default ktransformers-server). One of: "
                + string.Join(", ", HardwareProfiles.BuiltIn.Select(h => $"{h.Name} ({h.BandwidthGBps:0} GB/s)")),
            AllowMultipleArgumentsPerToken = false,
        };
        var bandwidth = new Option<double?>("--bandwidth") { Description = "Memory bandwidth in GB/s of your own machine (with --flops: its compute)" };
        var flops = new Option<double?>("--flops") { Description = "Dense compute peak in TFLOP/s at the math type the kernels use (with --bandwidth or --this-machine)" };
        var thisMachine = new Option<bool>("--this-machine") { Description = "Measure this machine's memory read bandwidth (1 GiB STREAM-like read, all cores, best of 3 passes) and use it" };
        var probeMib = new Option<int>("--probe-mib") { Description = "Buffer size of the --this-machine probe in MiB; keep it well above the last-level cache", DefaultValueFactory = _ => 1024 };
        foreach (Option o in new Option[] { config, weights, cache, context, profile, bandwidth, flops, thisMachine, probeMib, format }) cmd.Options.Add(o);
        cmd.SetGuardedAction(p =>
        {
            var hardware = new List<HardwareProfile>();
            foreach (string name in p.GetValue(profile) ?? []) hardware.Add(HardwareProfiles.Get(name));
            if (p.GetValue(bandwidth) is { } bw) hardware.Add(new HardwareProfile("custom", "--bandwidth/--flops", bw, p.GetValue(flops)));
            else if (p.GetValue(flops) is not null && !p.GetValue(thisMachine)) throw new DssException("--flops needs --bandwidth or --this-machine");
            BandwidthMeasurementReport? measured = null;
            if (p.GetValue(thisMachine))
            {
                int mib = p.GetValue(probeMib);
                if (mib < 1) throw new DssException($"--probe-mib must be at least 1, got {mib}");
                var m = BandwidthProbe.Measure((long)mib << 20);
                measured = new BandwidthMeasurementReport(m.BufferBytes, m.Passes, m.Threads, m.BestGBps, m.MeanGBps);
                hardware.Add(new HardwareProfile("this-machine", $"measured: {m.BestGBps:0.0} GB/s best of {m.Passes} reads of {mib} MiB on {m.Threads} threads",
                    m.BestGBps, p.GetValue(flops)));
            }
            if (hardware.Count == 0) hardware.Add(HardwareProfiles.Get("ktransformers-server"));
            var w = StorageTypes.Parse(p.GetValue(weights)!);
            var kv = StorageTypes.Parse(p.GetValue(cache)!);
            var configs = CostOptions.Configs(p, config, ShippedConfigs.DeepSeekV3, ShippedConfigs.Qwen25_72B, ShippedConfigs.Llama31_405B);
            var rows = (from c in configs
                        from h in hardware
                        select Row(DecodeRoofline.Compute(c.Config, h, w, kv, p.GetValue(context)), h)).ToArray();
            var report = new DecodeReport(rows, measured);
            var f = CostOptions.GetFormat(p, format);
            if (f == CostFormat.Json) PrintJson(report, CostJsonContext.Default.DecodeReport);
            else Print(ToTable(report, hardware), f);
            return 0;
        });
        return cmd;
    }

    private static DecodeRow Row(DecodeBound b, HardwareProfile h) =>
        new(b.Model, b.Hardware, h.BandwidthGBps, h.ComputeTflops, b.Weights, b.Cache, b.Context, b.WeightBytesPerToken / 1e9,
            b.CacheBytesPerToken / 1e9, b.FlopsPerToken / 1e9, b.MemoryBoundTokensPerSecond, b.ComputeBoundTokensPerSecond, b.TokensPerSecond, b.Limit);

    private static CostTable ToTable(DecodeReport r, IReadOnlyList<HardwareProfile> hardware)
    {
        var first = r.Rows[0];
        var t = new CostTable($"Decode roofline, batch 1 ({first.Weights} weights, {first.Cache} cache, context {first.Context:#,0})",
            "Model", "Hardware", "GB/s", "TFLOP/s", "Weights GB/token", "Cache GB/token", "GFLOP/token", "Memory-bound tok/s", "Compute-bound tok/s", "Bound tok/s", "Limit");
        foreach (var x in r.Rows)
            t.Add(x.Model, x.Hardware, N(x.BandwidthGBps, "#,0.#"), N(x.ComputeTflops, "#,0.#"), N(x.WeightGigabytes, "0.00"), N(x.CacheGigabytes, "0.000"),
                N(x.GflopPerToken, "0.0"), N(x.MemoryBoundTokensPerSecond, "#,0.0"), N(x.ComputeBoundTokensPerSecond, "#,0"), N(x.TokensPerSecond, "#,0.0"), x.Limit);
        foreach (var h in hardware) t.Notes.Add($"{h.Name}: {h.Description}");
        t.Notes.Add("Each token reads every activated weight and the whole KV cache once; a real engine reaches a fraction of the bound (the paper's \"nearly 20 TPS\" for DeepSeek-V3 on its ~$10k server is about 0.7 of the ktransformers-server bound).");
        return t;
    }
}
