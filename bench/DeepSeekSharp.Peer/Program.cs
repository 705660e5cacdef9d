using System.Diagnostics;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Conversion;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Peer;

/// <summary>
/// dss-peer: the same model in llama.cpp (LLamaSharp) and in DeepSeekSharp, same machine, same process, same thread
/// count. Exports the checkpoint to GGUF (one file per --types entry), checks that greedy decoding agrees for an
/// F32/BF16 export, and prints load time, prefill and decode tokens/s and the ratios ours/theirs.
///   dss-peer --model DIR [--types bf16,q8_0] [--threads 1] [--prompt 512] [--decode 128] [--check 4] [--keep DIR] [--verbose]
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return Run(Args.Parse(args));
        }
        catch (DssException e)
        {
            Console.Error.WriteLine($"dss-peer: error: {e.Message}");
            return 1;
        }
    }

    private static int Run(Args a)
    {
        LlamaCppNative.Verbose = a.Verbose;
        if (!LlamaCppNative.TryLoad(out var reason))
        {
            Console.Error.WriteLine($"dss-peer: llama.cpp is not available on this machine, nothing to compare: {reason}");
            return 2;
        }
        var config = ModelConfig.Load(a.Model);
        string outDir = a.Keep ?? Directory.CreateTempSubdirectory("dss-peer-").FullName;
        Directory.CreateDirectory(outDir);
        bool synthetic = !File.Exists(Path.Combine(a.Model, "tokenizer.json"));
        try
        {
            var ggufs = new List<(string Type, string Path)>();
            foreach (var t in a.Types)
            {
                string path = Path.Combine(outDir, $"{new DirectoryInfo(a.Model).Name}-{t}.gguf");
                if (!File.Exists(path))
                {
                    var sw = Stopwatch.StartNew();
                    Deepseek2GgufExporter.Export(a.Model, path, new GgufExportOptions(GgmlTypes.Parse(t)) { SyntheticTokenizer = synthetic });
                    Console.WriteLine($"exported {path} ({new FileInfo(path).Length / 1e6:F1} MB) in {sw.Elapsed.TotalSeconds:F1} s");
                }
                ggufs.Add((t, path));
            }

            int ctx = a.PromptTokens + a.DecodeTokens + 32;
            var exact = ggufs.FirstOrDefault(g => g.Type is "f32" or "bf16");
            if (a.Check > 0 && exact.Path is not null)
            {
                using var ours = DssEngine.Load(a.Model, 64 + 16);
                using var theirs = LlamaCppEngine.Load(exact.Path, a.Threads, 128, flashAttention: false); // CPU flash attention rounds through F16
                int agreed = 0, total = 0;
                for (int p = 0; p < a.Check; p++)
                {
                    var prompt = PeerBenchmark.Prompt(5 + 9 * p, config.VocabSize, 100 + p);
                    var c = GreedyComparison.Run(ours, theirs, prompt, 16);
                    agreed += c.AgreedSteps;
                    total += c.Ours.Length;
                    Console.WriteLine($"greedy ({exact.Type}) prompt {p} ({prompt.Length} tokens): {(c.Agree ? "agree" : $"first difference at step {c.AgreedSteps}")}, " +
                        $"max |logit diff| {c.MaxLogitDiff.Max():E2}\n  ours   {string.Join(",", c.Ours)}\n  theirs {string.Join(",", c.Theirs)}");
                }
                Console.WriteLine($"greedy agreement: {agreed}/{total} tokens");
            }

            string ourWeights = config.QuantizationConfig is null ? "BF16 safetensors" : "FP8 safetensors";
            var oursTimes = PeerBenchmark.Measure(ourWeights, () => DssEngine.Load(a.Model, ctx), a.PromptTokens, a.DecodeTokens, Console.WriteLine);
            var theirTimes = new List<EngineTimes>();
            foreach (var (t, path) in ggufs)
                theirTimes.Add(PeerBenchmark.Measure($"{t} gguf", () => LlamaCppEngine.Load(path, a.Threads, ctx), a.PromptTokens, a.DecodeTokens, Console.WriteLine));
            Console.WriteLine();
            Console.Write(PeerBenchmark.Table(oursTimes, theirTimes, a.Threads, a.PromptTokens, a.DecodeTokens));
            return 0;
        }
        finally
        {
            if (a.Keep is null) Directory.Delete(outDir, recursive: true);
        }
    }

    private sealed record Args(string Model, string[] Types, int Threads, int PromptTokens, int DecodeTokens, int Check, string? Keep, bool Verbose)
    {
        public static Args Parse(string[] args)
        {
            string? model = null, keep = null;
            string[] types = { "bf16", "q8_0" };
            int threads = 1, prompt = 512, decode = 128, check = 4;
            bool verbose = false;
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new DssException($"{args[i]} needs a value");
                int NextInt() => int.TryParse(Next(), out var v) && v >= 0 ? v : throw new DssException($"{args[i - 1]}: '{args[i]}' is not a non-negative integer");
                switch (args[i])
                {
                    case "--model" or "-m": model = Next(); break;
                    case "--types": types = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                    case "--threads" or "-t": threads = NextInt(); break;
                    case "--prompt": prompt = NextInt(); break;
                    case "--decode": decode = NextInt(); break;
                    case "--check": check = NextInt(); break;
                    case "--keep": keep = Next(); break;
                    case "--verbose": verbose = true; break;
                    default: throw new DssException($"unknown argument '{args[i]}' (--model DIR [--types bf16,q8_0] [--threads N] [--prompt N] [--decode N] [--check N] [--keep DIR] [--verbose])");
                }
            }
            if (model is null) throw new DssException("--model DIR is required");
            foreach (var t in types) GgmlTypes.Parse(t);
            if (threads < 1) throw new DssException("--threads must be at least 1");
            return new Args(model, types, threads, prompt, decode, check, keep, verbose);
        }
    }
}
