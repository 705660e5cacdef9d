using System.CommandLine;
using DeepSeekSharp.Benchmarking;
using Spectre.Console;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss bench --model DIR [--prompt-tokens 512] [--gen-tokens 64] [--threads N] [--json FILE]`: prefill and decode
/// speed against this machine's FMA peak and read bandwidth, measured in the same run. With `--peer llama.cpp` it
/// runs the same model in llama.cpp next to ours instead (<see cref="BenchPeerCommand"/>).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var prompt = new Option<int>("--prompt-tokens") { Description = "Prompt length of the prefill", DefaultValueFactory = _ => 512 };
        var gen = new Option<int>("--gen-tokens") { Description = "Tokens to decode", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: DSS_THREADS or all cores)", DefaultValueFactory = _ => 0 };
        var json = new Option<string?>("--json") { Description = "Also write every figure to this JSON file" };
        var probeMb = new Option<int>("--probe-mb") { Description = "Size of the bandwidth probe's buffer in MiB", DefaultValueFactory = _ => 1024 };
        var roundTokens = new Option<int>("--round-tokens")
        {
            Description = "Decoded tokens per round; the bandwidth is probed between rounds and each round held to the probes beside it",
            DefaultValueFactory = _ => 8,
        };
        var streams = new Option<string?>("--streams") { Description = "Aggregate decode tok/s of concurrent streams through the batcher instead, e.g. 1,2,4,8,16" };
        var speculative = new Option<string?>("--speculative") { Description = "With --streams: mtp or off (default: mtp when the model has MTP layers)" };
        var weights = new Option<string>("--weights")
        {
            Description = "Where the weights are held: memory (read into 2 MiB pages), mmap (mapped from the files) or auto (memory when they fit in half the RAM; DSS_WEIGHTS overrides)",
            DefaultValueFactory = _ => "auto",
        };
        var peer = new BenchPeerCommand.Options();
        var cmd = new Command("bench", "Measure prefill and decode speed against this machine's FMA peak and memory bandwidth, or next to llama.cpp (--peer)")
        {
            model, prompt, gen, threads, json, probeMb, roundTokens, weights, streams, speculative, peer.Peer, peer.GgufType, peer.CheckPrompts, peer.KeepGguf, peer.Verbose, peer.Rounds,
        };
        cmd.SetGuardedAction(p =>
        {
            if ((p.GetValue(peer.Peer) is not null || p.GetValue(streams) is not null) && p.GetResult(roundTokens) is { Implicit: false })
                throw new DssException("--round-tokens applies to the plain bench, not to --peer or --streams");
            if (p.GetValue(peer.Peer) is { } name)
                return BenchPeerCommand.Run(p, peer, name, p.GetValue(model)!, p.GetValue(threads), p.GetValue(prompt),
                    p.GetResult(gen) is { Implicit: false } ? p.GetValue(gen) : BenchPeerCommand.DefaultGenTokens, p.GetValue(json));
            peer.RejectWithoutPeer(p);
            if (p.GetValue(streams) is { } list) return RunStreams(p.GetValue(model)!, list, p.GetValue(gen), p.GetValue(speculative), p.GetValue(threads));
            int mb = p.GetValue(probeMb);
            if (mb < 1) throw new DssException($"--probe-mb must be at least 1, got {mb}");
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            if (Console.IsOutputRedirected) console.Profile.Width = 160; // one line a row in logs and files
            var residence = Checkpoints.WeightResidences.Parse(p.GetValue(weights)!, "--weights");
            var options = new BenchOptions(p.GetValue(prompt), p.GetValue(gen), p.GetValue(threads), (long)mb << 20, Residence: residence,
                RoundTokens: p.GetValue(roundTokens));
            var r = ModelBench.Run(p.GetValue(model)!, options, line => console.MarkupLineInterpolated($"[grey]{line}[/]"));
            console.Write(Table(r));
            if (p.GetValue(json) is { } path)
            {
                File.WriteAllText(path, r.ToJson());
                console.MarkupLineInterpolated($"wrote {path}");
            }
            return 0;
        });
        return cmd;
    }

    private static int RunStreams(string dir, string list, int genTokens, string? speculative, int threads)
    {
        var counts = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => int.TryParse(x, out int n) && n > 0 ? n : throw new DssException($"--streams: '{x}' is not a positive count")).ToArray();
        bool? spec = speculative?.ToLowerInvariant() switch
        {
            null => null,
            "mtp" or "on" => true,
            "off" => false,
            var x => throw new DssException($"--speculative '{x}' is not one of mtp, off"),
        };
        if (threads > 0) Numerics.WorkerPool.Shared.SetThreads(threads);
        using var m = Modeling.Transformer.Load(dir);
        var results = StreamsBench.Run(m, counts, genTokens, spec, line => Console.Error.WriteLine(line));
        var t = new Table().Title($"dss bench --streams: {Path.GetFileName(Path.GetFullPath(dir))}, {genTokens} tokens per stream, {Numerics.WorkerPool.Shared.Threads} thread(s)");
        t.AddColumn("streams");
        t.AddColumn(new TableColumn("aggregate decode tok/s").RightAligned());
        t.AddColumn(new TableColumn("vs 1 stream").RightAligned());
        t.AddColumn(new TableColumn("MTP acceptance").RightAligned());
        double one = results[0].TokensPerSecond / results[0].Streams;
        foreach (var r in results)
            t.AddRow($"{r.Streams}", $"{r.TokensPerSecond:F1}", one > 0 ? $"{r.TokensPerSecond / one:F2}x" : "", r.AcceptanceRate > 0 ? $"{r.AcceptanceRate:P1}" : "-");
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }).Write(t);
        return 0;
    }

    internal static Table Table(BenchReport r)
    {
        var t = new Table().Title($"dss bench: {Path.GetFileName(r.Model)} ({r.WeightDtypes}), {r.Threads} thread(s)");
        t.AddColumn("measure");
        t.AddColumn(new TableColumn("value").RightAligned());
        t.AddColumn(new TableColumn("limit").RightAligned());
        t.AddColumn(new TableColumn("fraction").RightAligned());
        t.AddRow("memory read bandwidth", $"{r.MemBandwidthGbs:F1} GB/s", $"before {r.MemBandwidthBeforeGbs:F1} / after {r.MemBandwidthAfterGbs:F1}", "");
        t.AddRow("weights held", r.WeightResidence == "memory" ? "in memory" : "memory-mapped", r.WeightResidence == "memory" ? "2 MiB pages" : "4 KiB pages", "");
        t.AddRow("F32 FMA peak", $"{r.FmaPeakGflops:F0} GFLOP/s", "", "");
        t.AddRow($"prefill ({r.PromptTokens} tokens)", $"{r.PrefillTokS:F1} tok/s", $"{r.PrefillSeconds:F2} s", "");
        t.AddRow("prefill compute", $"{r.PrefillGflops:F1} GFLOP/s", $"{r.FmaPeakGflops:F0} GFLOP/s", $"{r.PrefillPeakFraction:P1}");
        t.AddRow($"decode ({r.GenTokens} tokens)", $"{r.DecodeTokS:F2} tok/s", $"{r.DecodeRooflineTokS:F2} tok/s", $"{r.DecodeRooflineFractionWhole:P1}");
        t.AddRow("bytes per decoded token", $"{r.DecodeBytesPerToken / 1e6:F1} MB", $"weights {r.DecodeWeightBytesPerToken / 1e6:F1} + cache {r.DecodeCacheBytesPerToken / 1e6:F2}", "");
        t.AddRow("decode effective bandwidth", $"{r.DecodeGbs:F1} GB/s", $"{r.MemBandwidthGbs:F1} GB/s", $"{r.DecodeRooflineFractionWhole:P1}");
        if (r.DecodeRounds.Count > 0)
        {
            var fr = r.DecodeRounds.Select(x => x.RooflineFraction).ToArray();
            t.AddRow($"decode rounds ({r.DecodeRounds.Count}), each against the probes beside it",
                $"median {r.DecodeRooflineFraction:P1}", $"{fr.Min():P0} - {fr.Max():P0}", $"{r.DecodeRooflineFraction:P1}");
            t.AddRow("  per round: GB/s / probe GB/s", string.Join(" ", r.DecodeRounds.Select(x => $"{x.Gbs:F0}/{x.ProbeGbs:F0}")), "", "");
        }
        t.AddRow("allocated per decoded token", $"{r.DecodeAllocBytesPerToken / 1024:F1} KiB", "", "");
        t.AddRow("garbage collections during the decode", $"{r.DecodeGcCollections}", "", "");
        t.AddRow("by CPU time: bandwidth, FMA peak", $"{r.MemBandwidthCpuGbs:F1} GB/s", $"{r.FmaPeakCpuGflops:F0} GFLOP/s", "");
        t.AddRow("by CPU time: prefill", $"CPU share {r.PrefillCpuShare:P0}", "of FMA peak", $"{r.PrefillPeakFractionCpu:P1}");
        t.AddRow("by CPU time: decode", $"CPU share {r.DecodeCpuShare:P0}", "of bandwidth", $"{r.DecodeRooflineFractionCpu:P1}");
        return t;
    }
}
