using System.Diagnostics;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Conversion;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Peer;

/// <summary>
/// What one side-by-side run does. GgufTypes empty: the type with the bits per weight of the checkpoint (q8_0 for
/// FP8, bf16 otherwise). CheckPrompts 0 skips the greedy agreement check. KeepDir keeps the GGUF files there.
/// </summary>
public sealed record PeerOptions(string Model, int Threads, int PromptTokens = 512, int GenTokens = 128)
{
    public IReadOnlyList<string> GgufTypes { get; init; } = [];
    public int CheckPrompts { get; init; } = 3;
    public int CheckSteps { get; init; } = 12;
    public string? KeepDir { get; init; }
    /// <summary>Prefill rounds, every engine once per round.</summary>
    public int Rounds { get; init; } = 3;
    /// <summary>Decoded tokens per turn of each engine.</summary>
    public int DecodeChunk { get; init; } = 16;
}

/// <summary>
/// The same checkpoint in DeepSeekSharp and in llama.cpp, in this process, with the same thread count: exports it to
/// GGUF, checks greedy agreement on an F32 export (llama.cpp without flash attention, F32 KV cache, against our F32
/// latent cache), then times load, prefills and greedy decode steps in each engine with its own defaults (our
/// BF16 latent cache; llama.cpp's F16 KV cache and automatic flash attention), side by side: the engines take turns
/// (<see cref="PeerBenchmark.MeasureSideBySide"/>).
/// </summary>
public static class PeerRun
{
    public static PeerReport Run(PeerOptions o, Action<string>? log = null)
    {
        if (o.Threads < 1) throw new DssException($"--threads must be at least 1, got {o.Threads}");
        if (o.PromptTokens < 1) throw new DssException($"--prompt-tokens must be at least 1, got {o.PromptTokens}");
        if (o.GenTokens < 1) throw new DssException($"--gen-tokens must be at least 1, got {o.GenTokens}");
        if (o.CheckPrompts < 0) throw new DssException($"--check-prompts must not be negative, got {o.CheckPrompts}");
        if (o.Rounds < 1) throw new DssException($"--peer-rounds must be at least 1, got {o.Rounds}");
        if (o.DecodeChunk < 1) throw new DssException($"decode chunk must be at least 1 token, got {o.DecodeChunk}");
        var config = ModelConfig.Load(o.Model);
        bool fp8 = config.QuantizationConfig is not null;
        var types = (o.GgufTypes.Count > 0 ? o.GgufTypes : [fp8 ? "q8_0" : "bf16"]).Select(GgmlTypes.Parse).Distinct().ToList();
        int ctx = o.PromptTokens + o.GenTokens + 32;
        if (ctx - 32 > config.MaxPositionEmbeddings)
            throw new DssException($"{o.PromptTokens} prompt + {o.GenTokens} generated tokens exceed the model's context of {config.MaxPositionEmbeddings}");

        LlamaCppNative.EnsureLoaded();
        var lib = LlamaCppNative.Loaded!;
        log?.Invoke($"llama.cpp: {lib.LlamaPath} (from {lib.Source})");
        if (WorkerPool.Shared.Threads != o.Threads) WorkerPool.Shared.SetThreads(o.Threads); // our side gets the same thread count (not during another forward pass)

        string dir = o.KeepDir ?? Directory.CreateTempSubdirectory("dss-peer-").FullName;
        Directory.CreateDirectory(dir);
        try
        {
            long parameters = 0;
            PeerAgreement? agreement = null;
            if (o.CheckPrompts > 0)
            {
                var (path, tensors) = Export(o, dir, GgmlType.F32, log);
                parameters = tensors.Sum(t => t.ElementCount);
                agreement = Check(o, config, path, log);
                if (o.KeepDir is null && !types.Contains(GgmlType.F32)) File.Delete(path); // 4 bytes a weight: free the disk before timing
            }
            var ggufs = new List<(GgmlType Type, string Path)>();
            foreach (var t in types)
            {
                var (path, tensors) = Export(o, dir, t, log);
                parameters = tensors.Sum(x => x.ElementCount);
                ggufs.Add((t, path));
            }

            double? before = PeerReport.LoadAverage();
            string ourWeights = fp8 ? "FP8 safetensors" : "BF16 safetensors";
            long ourBytes = CheckpointBytes(o.Model);
            var engines = new List<(string, Func<IStepEngine>)> { (ourWeights, () => DssEngine.Load(o.Model, ctx, CacheDType.BF16)) };
            foreach (var (t, path) in ggufs)
                engines.Add(($"{GgmlTypes.Name(t)} gguf", () => LlamaCppEngine.Load(path, o.Threads, ctx, flashAttention: null, f32Cache: false)));
            var times = PeerBenchmark.MeasureSideBySide(engines, o.PromptTokens, o.GenTokens, o.Rounds, o.DecodeChunk, log);
            var ours = times[0] with { WeightBytes = ourBytes, BitsPerWeight = 8.0 * ourBytes / parameters };
            var theirs = new List<EngineTimes>();
            for (int i = 0; i < ggufs.Count; i++)
            {
                long bytes = new FileInfo(ggufs[i].Path).Length;
                theirs.Add(times[i + 1] with { WeightBytes = bytes, BitsPerWeight = 8.0 * bytes / parameters });
            }
            return new PeerReport
            {
                Model = Path.GetFullPath(o.Model),
                Peer = "llama.cpp (LLamaSharp 0.30.0)",
                PeerLibrary = lib.LlamaPath,
                Threads = o.Threads,
                PromptTokens = o.PromptTokens,
                GenTokens = o.GenTokens,
                Parameters = parameters,
                Agreement = agreement,
                Ours = ours,
                Theirs = theirs,
                Ratios = PeerReport.RatiosOf(ours, theirs),
                LoadAverageBefore = before,
                LoadAverageAfter = PeerReport.LoadAverage(),
            };
        }
        finally
        {
            if (o.KeepDir is null) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The bytes of the safetensors files the checkpoint loads (not other .safetensors files in the folder).</summary>
    private static long CheckpointBytes(string dir)
    {
        using var ck = Checkpoint.Open(dir);
        return ck.Files.Sum(f => f.FileLength);
    }

    private static (string Path, IReadOnlyList<GgufTensorInfo> Tensors) Export(PeerOptions o, string dir, GgmlType type, Action<string>? log)
    {
        string name = new DirectoryInfo(Path.GetFullPath(o.Model)).Name;
        string path = Path.Combine(dir, $"{name}-{GgmlTypes.Name(type)}.gguf");
        bool synthetic = !File.Exists(Path.Combine(o.Model, "tokenizer.json"));
        var options = new GgufExportOptions(type) { SyntheticTokenizer = synthetic };
        if (File.Exists(path))
        {
            using var r = GgufReader.Open(path);
            log?.Invoke($"reusing {path}");
            return (path, r.Tensors.ToList());
        }
        var sw = Stopwatch.StartNew();
        var tensors = Deepseek2GgufExporter.Export(o.Model, path, options);
        log?.Invoke($"exported {path} ({new FileInfo(path).Length / 1e9:F2} GB{(synthetic ? ", synthetic vocabulary" : "")}) in {sw.Elapsed.TotalSeconds:F1} s");
        return (path, tensors);
    }

    private static PeerAgreement Check(PeerOptions o, ModelConfig config, string f32Gguf, Action<string>? log)
    {
        int longest = 5 + 9 * (o.CheckPrompts - 1);
        int ctx = longest + o.CheckSteps + 8;
        using var ours = DssEngine.Load(o.Model, ctx, CacheDType.F32);
        using var theirs = LlamaCppEngine.Load(f32Gguf, o.Threads, ctx, flashAttention: false); // its CPU flash attention rounds through F16
        if (theirs.VocabSize != ours.VocabSize)
            throw new DssException($"llama.cpp sees a vocabulary of {theirs.VocabSize}, ours is {ours.VocabSize}");
        int agreed = 0, total = 0;
        double maxDiff = 0;
        var firstDiff = new int[o.CheckPrompts];
        for (int p = 0; p < o.CheckPrompts; p++)
        {
            var prompt = PeerBenchmark.Prompt(5 + 9 * p, config.VocabSize, 100 + p);
            var c = GreedyComparison.Run(ours, theirs, prompt, o.CheckSteps);
            agreed += c.AgreedSteps;
            total += o.CheckSteps;
            maxDiff = Math.Max(maxDiff, c.MaxLogitDiff.Max());
            firstDiff[p] = c.Agree ? -1 : c.AgreedSteps;
            log?.Invoke($"greedy (f32 gguf) prompt {p} ({prompt.Length} tokens): {(c.Agree ? "agree" : $"first difference at step {c.AgreedSteps}")}, " +
                $"max |logit diff| {c.MaxLogitDiff.Max():E2}; ours {string.Join(",", c.Ours)}; theirs {string.Join(",", c.Theirs)}");
        }
        return new PeerAgreement("f32", o.CheckPrompts, o.CheckSteps, agreed, total, maxDiff, firstDiff);
    }
}
