using System.CommandLine;
using System.Diagnostics;
using DeepSeekSharp.Benchmarking;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Modeling.Presets;
using Spectre.Console;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss init --config FILE_OR_PRESET --output DIR [--dtype bf16|fp8] [--layers N] [--seed S]`: a randomly initialised
/// checkpoint in the released Hugging Face layout, for benchmarks.
/// </summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c")
        {
            Description = $"A preset ({string.Join(", ", ModelPresets.Names)}), a config.json file or a model folder",
            Required = true,
        };
        var output = new Option<string>("--output", "-o") { Description = "The model folder to write (must not exist unless --overwrite)", Required = true };
        var dtype = new Option<string>("--dtype")
        {
            Description = "bf16, or fp8 (F8_E4M3 projections with 128x128 block scales, as DeepSeek-V3 is released)",
            DefaultValueFactory = _ => "fp8",
        };
        dtype.AcceptOnlyFromAmong("bf16", "fp8");
        var layers = new Option<int?>("--layers") { Description = "Keep the real width with this many layers (MTP layers are dropped unless --mtp)" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed (the same seed writes the same checkpoint)", DefaultValueFactory = _ => 0UL };
        var mtp = new Option<bool>("--mtp") { Description = "Keep the config's MTP layers" };
        var shardGb = new Option<double>("--shard-size") { Description = "Largest shard in GiB", DefaultValueFactory = _ => 4.0 };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output folder" };
        var cmd = new Command("init", "Write a randomly initialised checkpoint with the shapes of a config or preset (for benchmarks)")
        {
            config, output, dtype, layers, seed, mtp, shardGb, overwrite,
        };
        cmd.SetGuardedAction(p =>
        {
            bool fp8 = p.GetValue(dtype) == "fp8";
            double shard = p.GetValue(shardGb);
            if (!(shard > 0)) throw new DssException($"--shard-size must be positive, got {shard}");
            string json = ModelPresets.Adapt(ModelPresets.Resolve(p.GetValue(config)!), fp8, p.GetValue(layers), p.GetValue(mtp));
            var c = ModelConfig.Parse(json, "config.json");
            var options = new InitOptions(fp8, p.GetValue(seed), (long)(shard * (1L << 30)), p.GetValue(overwrite));
            string dir = p.GetValue(output)!;
            long total = RandomCheckpoint.TotalBytes(c, fp8);
            Console.Out.WriteLine($"writing {dir}: {c.ModelType}, {c.NumHiddenLayers} layers (+{c.NumNextnPredictLayers} MTP), hidden {c.HiddenSize}, {(fp8 ? "FP8 E4M3 128x128 blocks" : "BF16")}, {total / 1e9:F2} GB of tensors, seed {options.Seed}");
            var sw = Stopwatch.StartNew();
            IReadOnlyList<string> shards;
            if (Console.IsOutputRedirected) shards = WritePlain(dir, json, options, total);
            else
            {
                shards = [];
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("tensors", maxValue: Math.Max(1, total));
                        shards = RandomCheckpoint.Write(dir, json, options, n => task.Increment(n));
                    });
            }
            Console.Out.WriteLine($"wrote {shards.Count} shard(s) in {sw.Elapsed.TotalSeconds:F1} s ({total / 1e9 / Math.Max(1e-9, sw.Elapsed.TotalSeconds):F2} GB/s)");
            return 0;
        });
        return cmd;
    }

    /// <summary>Progress as a line per tenth when the output is not a terminal.</summary>
    private static IReadOnlyList<string> WritePlain(string dir, string json, InitOptions options, long total)
    {
        long written = 0;
        int shown = 0;
        return RandomCheckpoint.Write(dir, json, options, n =>
        {
            written += n;
            int tenth = (int)(written * 10 / Math.Max(1, total));
            if (tenth > shown)
            {
                shown = tenth;
                Console.Out.WriteLine($"  {tenth * 10}% ({written / 1e9:F2} GB)");
            }
        });
    }
}
