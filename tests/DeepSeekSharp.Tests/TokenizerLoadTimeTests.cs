using System.Diagnostics;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Tests;

[CollectionDefinition("TokenizerLoadTime", DisableParallelization = true)]
public sealed class TokenizerLoadTimeCollection;

/// <summary>
/// Loading the 128K-entry DeepSeek-V3 tokenizer. Runs alone (no parallel tests) and measures the process's CPU
/// time, so a busy shared machine does not decide the result; the wall time is in the message.
/// </summary>
[Collection("TokenizerLoadTime")]
public class TokenizerLoadTimeTests
{
    [Fact]
    public void LoadsTheFullVocabularyInUnderTwoCpuSeconds()
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var tok = HfTokenizer.Load(TokenizerTestData.Dir);
        wall.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        Assert.Equal(128815, tok.VocabSize);
        Assert.True(cpu < TimeSpan.FromSeconds(2), $"loading took {cpu.TotalSeconds:F2} s of CPU ({wall.Elapsed.TotalSeconds:F2} s wall)");
    }
}
