using System.CommandLine;
using DeepSeekSharp.Numerics;
using DeepSeekSharp.Peer;
using Spectre.Console;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss bench --model DIR --peer llama.cpp [--threads N] [--prompt-tokens 512] [--gen-tokens 128] [--gguf-type bf16|q8_0|f16|f32]
/// [--check-prompts 3] [--keep-gguf DIR] [--json FILE]`: the model exported to GGUF and run by llama.cpp (LLamaSharp)
/// next to our engine, same process, same threads; greedy agreement on an F32 export, then one table with ratios.
/// llama.cpp's native library is loaded only here (see LlamaCppLocator), so no other command needs it.
/// </summary>
internal static class BenchPeerCommand
{
    public const int DefaultGenTokens = 128;

    internal sealed class Options
    {
        public Option<string?> Peer { get; } = new("--peer") { Description = "Run the same model in this engine next to ours instead: llama.cpp" };
        public Option<string?> GgufType { get; } = new("--gguf-type") { Description = "With --peer: GGUF weight type(s) for llama.cpp, comma-separated: bf16, q8_0, f16, f32 (default: q8_0 for an FP8 model, else bf16)" };
        public Option<int> CheckPrompts { get; } = new("--check-prompts") { Description = "With --peer: prompts for the greedy agreement check on an F32 export (0 skips it)", DefaultValueFactory = _ => 3 };
        public Option<string?> KeepGguf { get; } = new("--keep-gguf") { Description = "With --peer: keep the GGUF exports in this folder (and reuse them on the next run)" };
        public Option<bool> Verbose { get; } = new("--peer-log") { Description = "With --peer: echo llama.cpp's own log to stderr" };
        public Option<int> Rounds { get; } = new("--peer-rounds")
        {
            Description = "With --peer: prefill rounds, each engine once per round (decode alternates engines every 16 tokens); ratios are medians over rounds",
            DefaultValueFactory = _ => 3,
        };

        /// <summary>The peer-only options make no sense without --peer: say so rather than ignore them.</summary>
        public void RejectWithoutPeer(ParseResult p)
        {
            foreach (var o in new Option[] { GgufType, CheckPrompts, KeepGguf, Verbose, Rounds })
                if (p.GetResult(o) is { Implicit: false }) throw new DssException($"{o.Name} needs --peer llama.cpp");
        }
    }

    public static int Run(ParseResult p, Options opt, string peer, string model, int threads, int promptTokens, int genTokens, string? json)
    {
        if (!string.Equals(peer, "llama.cpp", StringComparison.OrdinalIgnoreCase))
            throw new DssException($"--peer '{peer}' is not supported (llama.cpp)");
        if (threads < 0) throw new DssException($"--threads must be positive, got {threads}");
        var types = p.GetValue(opt.GgufType)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        foreach (var t in types) Checkpoints.GgmlTypes.Parse(t);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected) console.Profile.Width = 160; // one line a row in logs and files
        LlamaCppNative.Verbose = p.GetValue(opt.Verbose);
        var options = new PeerOptions(model, threads > 0 ? threads : WorkerPool.DefaultThreads(), promptTokens, genTokens)
        {
            GgufTypes = types,
            CheckPrompts = p.GetValue(opt.CheckPrompts),
            KeepDir = p.GetValue(opt.KeepGguf),
            Rounds = p.GetValue(opt.Rounds),
        };
        var r = PeerRun.Run(options, line => console.MarkupLineInterpolated($"[grey]{line}[/]"));
        console.Write(Table(r));
        if (r.Agreement is { } a)
            console.MarkupLineInterpolated($"greedy agreement ({a.GgufType} gguf, flash attention off): {a.AgreedTokens}/{a.TotalTokens} tokens over {a.Prompts} prompts, max |logit diff| {a.MaxLogitDiff:E2}");
        if (r.LoadAverageBefore is { } lb && r.LoadAverageAfter is { } la)
            console.MarkupLineInterpolated($"machine load average {lb:F1} before, {la:F1} after, on {r.LogicalCores} logical cores (other work shares them)");
        if (json is not null)
        {
            File.WriteAllText(json, r.ToJson());
            console.MarkupLineInterpolated($"wrote {json}");
        }
        if (r.Agreement is { Agree: false } bad)
            throw new DssException($"greedy decoding disagrees with llama.cpp: {bad.AgreedTokens}/{bad.TotalTokens} tokens agree (first difference per prompt: {string.Join(", ", bad.FirstDifference)})");
        return 0;
    }

    internal static Table Table(PeerReport r)
    {
        var t = new Table().Title($"dss bench --peer llama.cpp: {Path.GetFileName(r.Model)} ({(r.Parameters >= 1e9 ? $"{r.Parameters / 1e9:F2}B" : $"{r.Parameters / 1e6:F2}M")} parameters), {r.Threads} thread(s)");
        t.AddColumn("engine");
        t.AddColumn("weights");
        t.AddColumn(new TableColumn("bits/weight").RightAligned());
        t.AddColumn(new TableColumn("load s").RightAligned());
        t.AddColumn(new TableColumn($"prefill tok/s ({r.PromptTokens})").RightAligned());
        t.AddColumn(new TableColumn($"decode tok/s ({r.GenTokens})").RightAligned());
        foreach (var e in new[] { r.Ours }.Concat(r.Theirs))
            t.AddRow(Markup.Escape(e.Engine), Markup.Escape(e.Weights), $"{e.BitsPerWeight:F2}", $"{e.LoadSeconds:F2}", $"{e.PrefillTokPerSec:F1}", $"{e.DecodeTokPerSec:F2}");
        foreach (var q in r.Ratios)
            t.AddRow("[bold]ratio ours/theirs[/]", Markup.Escape($"vs {q.Versus}"), "", $"{q.Load:F2}", $"[bold]{q.Prefill:F2}[/]", $"[bold]{q.Decode:F2}[/]");
        return t;
    }
}
