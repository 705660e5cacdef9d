using DeepSeekSharp.Cli;
using DeepSeekSharp.Numerics;
using DeepSeekSharp.Peer;
using Xunit.Abstractions;

namespace DeepSeekSharp.Tests;

/// <summary>
/// `dss bench --peer llama.cpp` end to end through the command line parser on v3-tiny. When llama.cpp's native library
/// cannot load here the run test says why and passes without comparing (DSS_REQUIRE_LLAMA_CPP=1 makes that a failure).
/// </summary>
[Collection("Console")]
public class PeerBenchCommandTests
{
    private readonly ITestOutputHelper _out;

    public PeerBenchCommandTests(ITestOutputHelper output) => _out = output;

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void PeerRunPrintsOneTableWithRatiosAndWritesEveryFigure()
    {
        if (!LlamaCppNative.TryLoad(out var reason))
        {
            string msg = $"SKIPPED: llama.cpp native library did not load ({reason}); dss bench --peer was not run";
            if (Environment.GetEnvironmentVariable("DSS_REQUIRE_LLAMA_CPP") == "1") Assert.Fail(msg);
            _out.WriteLine(msg);
            Console.WriteLine(msg);
            return;
        }
        using var tmp = new Fixtures.TempDir();
        string json = tmp.File("peer.json"), keep = tmp.File("gguf");
        // The shared worker pool's own size: resizing it would stop workers under other tests' forward passes.
        int threads = WorkerPool.Shared.Threads;
        var (code, output, err) = Run("bench", "--model", Fixtures.Dir("v3-tiny"), "--peer", "llama.cpp", "--threads", $"{threads}",
            "--prompt-tokens", "32", "--gen-tokens", "8", "--gguf-type", "bf16,q8_0", "--keep-gguf", keep, "--json", json);
        _out.WriteLine(output);
        Assert.True(code == 0, err + output);
        Assert.Contains("ratio ours/theirs", output);
        Assert.Contains("greedy agreement (f32 gguf, flash attention off): 36/36 tokens", output);

        var r = PeerReport.FromJson(File.ReadAllText(json));
        Assert.Equal(threads, r.Threads);
        Assert.Equal(32, r.PromptTokens);
        Assert.Equal(8, r.GenTokens);
        Assert.True(r.Agreement is { Agree: true, TotalTokens: 36 }, "greedy decoding agrees token for token on the f32 export");
        Assert.Equal(new[] { "bf16 gguf", "q8_0 gguf" }, r.Theirs.Select(t => t.Weights));
        Assert.Equal("BF16 safetensors", r.Ours.Weights);
        foreach (var e in r.Theirs.Append(r.Ours))
        {
            Assert.True(e.LoadSeconds > 0 && e.PrefillTokPerSec > 0 && e.DecodeTokPerSec > 0, $"{e.Engine} {e.Weights}: every figure measured");
            Assert.InRange(e.BitsPerWeight, 8, 64); // v3-tiny: F32 norms and the MTP layer weigh a lot next to its 0.4M weights
        }
        Assert.Equal(2, r.Ratios.Count);
        // Side by side: 3 prefill rounds and 8 tokens in one decode chunk per engine; ratios are medians of same-round ratios.
        foreach (var e in r.Theirs.Append(r.Ours))
        {
            Assert.Equal(3, e.PrefillRounds.Count);
            Assert.Single(e.DecodeChunks);
            Assert.Equal(DeepSeekSharp.Benchmarking.ModelBench.Median(e.PrefillRounds), e.PrefillTokPerSec, 9);
        }
        Assert.Equal(DeepSeekSharp.Benchmarking.ModelBench.Median(r.Ours.PrefillRounds.Zip(r.Theirs[1].PrefillRounds, (a, b) => a / b)), r.Ratios[1].Prefill, 9);
        Assert.Equal(r.Ours.DecodeChunks[0] / r.Theirs[1].DecodeChunks[0], r.Ratios[1].Decode, 9);
        Assert.Equal(new[] { "v3-tiny-bf16.gguf", "v3-tiny-f32.gguf", "v3-tiny-q8_0.gguf" }, Directory.GetFiles(keep).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void AnUnknownPeerIsOneClearLine()
    {
        var (code, _, err) = Run("bench", "--model", Fixtures.Dir("v3-tiny"), "--peer", "vllm");
        Assert.Equal(1, code);
        Assert.Contains("--peer 'vllm' is not supported (llama.cpp)", err);
    }

    [Theory]
    [InlineData("--gguf-type", "q8_0")]
    [InlineData("--check-prompts", "2")]
    [InlineData("--peer-rounds", "5")]
    public void PeerOptionsWithoutPeerAreRejected(string option, string value)
    {
        var (code, _, err) = Run("bench", "--model", Fixtures.Dir("v3-tiny"), option, value);
        Assert.Equal(1, code);
        Assert.Contains($"{option} needs --peer llama.cpp", err);
    }

    [Fact]
    public void ZeroPeerRoundsIsOneClearLine()
    {
        if (!LlamaCppNative.TryLoad(out _)) return; // the check runs after the native library is found
        var (code, _, err) = Run("bench", "--model", Fixtures.Dir("v3-tiny"), "--peer", "llama.cpp", "--peer-rounds", "0", "--check-prompts", "0",
            "--prompt-tokens", "8", "--gen-tokens", "2");
        Assert.Equal(1, code);
        Assert.Contains("--peer-rounds must be at least 1, got 0", err);
    }

    [Fact]
    public void ABadGgufTypeFailsBeforeAnyWork()
    {
        var (code, _, err) = Run("bench", "--model", Fixtures.Dir("v3-tiny"), "--peer", "llama.cpp", "--gguf-type", "q4_k");
        Assert.Equal(1, code);
        Assert.Contains("unknown GGUF tensor type 'q4_k'", err);
    }

    [Fact]
    public void TheLocatorNamesEveryPlaceItLooked()
    {
        using var tmp = new Fixtures.TempDir();
        Assert.Null(LlamaCppLocator.Find([("nowhere", tmp.Path)], out var tried));
        Assert.Contains(Path.Combine(tmp.Path, LlamaCppLocator.LibraryFile("llama")), tried);
        Assert.Contains(Path.Combine(tmp.Path, LlamaCppLocator.Rid(), "native"), tried);
    }

    [Fact]
    public void TheLocatorTakesTheBestBuildThisCpuRuns()
    {
        using var tmp = new Fixtures.TempDir();
        var levels = LlamaCppLocator.AvxLevels().ToList();
        string best = levels.Count > 0 ? Path.Combine(tmp.Path, LlamaCppLocator.Rid(), "native", levels[0]) : Path.Combine(tmp.Path, LlamaCppLocator.Rid(), "native");
        foreach (var dir in new[] { best, Path.Combine(tmp.Path, LlamaCppLocator.Rid(), "native", "noavx") })
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, LlamaCppLocator.LibraryFile("llama")), "");
        }
        var lib = LlamaCppLocator.Find([("test", tmp.Path)], out _);
        Assert.NotNull(lib);
        Assert.Equal(Path.Combine(best, LlamaCppLocator.LibraryFile("llama")), lib.LlamaPath);
        Assert.Null(lib.MtmdPath);
        Assert.Equal("test", lib.Source);
    }

    [Fact]
    public void TheBuildRecordsTheRestoredBackendPackage()
    {
        Assert.NotNull(LlamaCppLocator.PackageRuntimes);
        Assert.EndsWith("LLamaSharpRuntimes", LlamaCppLocator.PackageRuntimes);
    }
}
