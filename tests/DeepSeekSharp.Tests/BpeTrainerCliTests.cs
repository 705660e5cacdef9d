using DeepSeekSharp.Cli;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Tests;

/// <summary><c>dss tokenizer train</c>: output files, determinism, verification and clear errors.</summary>
[Collection("Console")]
public class BpeTrainerCliTests
{
    private static string Sample(Fixtures.TempDir dir)
    {
        string brown = Path.Combine(Fixtures.Shared, "corpora", "brown");
        string file = dir.File("sample.txt");
        File.WriteAllText(file, File.ReadAllText(Path.Combine(brown, "humor.txt"))[..60_000] + BrownSampleTokenizer.Unicode);
        return file;
    }

    [Fact]
    public void TrainsAndWritesLoadableFiles()
    {
        using var dir = new Fixtures.TempDir();
        string data = Sample(dir);
        string outDir = dir.File("tok");
        var (exit, stdout, stderr) = CliHarness.Run("tokenizer", "train", "--data", data, "--vocab-size", "600", "--out", outDir, "--verify");
        Assert.True(exit == 0, stderr);
        Assert.Contains("vocab 600 (339 merges)", stdout);
        Assert.Contains("tokens/word", stdout);
        Assert.Contains("verified: all 1 files round-trip", stdout);
        Assert.Contains("merges 339/339", stderr);
        Assert.Equal(600, HfTokenizer.Load(outDir).VocabSize);
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp-*"));
    }

    [Fact]
    public void TwoRunsWriteByteIdenticalFiles()
    {
        using var dir = new Fixtures.TempDir();
        string data = Sample(dir);
        foreach (string name in new[] { "a", "b" })
        {
            var (exit, _, stderr) = CliHarness.Run("tokenizer", "train", "--data", data, "--vocab-size", "700", "--out", dir.File(name));
            Assert.True(exit == 0, stderr);
        }
        foreach (string file in new[] { "tokenizer.json", "tokenizer_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.File("a"), file)), File.ReadAllBytes(Path.Combine(dir.File("b"), file)));
    }

    [Fact]
    public void ReadsTheTxtFilesOfAFolderInPathOrder()
    {
        using var dir = new Fixtures.TempDir();
        Directory.CreateDirectory(dir.File("corpus"));
        File.WriteAllText(dir.File("corpus/b.txt"), "the other theme then there\n");
        File.WriteAllText(dir.File("corpus/a.txt"), "the theory of the thesis\n");
        File.WriteAllText(dir.File("corpus/README.md"), "not training text");
        var (exit, stdout, stderr) = CliHarness.Run("tokenizer", "train", "--data", dir.File("corpus"), "--vocab-size", "262",
            "--out", dir.File("tok"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("in 2 files", stderr);
        Assert.Contains("vocab 262 (1 merges)", stdout);
    }

    [Fact]
    public void MissingDataFileIsAClearError()
    {
        using var dir = new Fixtures.TempDir();
        string missing = dir.File("nope.txt");
        var (exit, _, stderr) = CliHarness.Run("tokenizer", "train", "--data", missing, "--vocab-size", "300", "--out", dir.File("tok"));
        Assert.Equal(1, exit);
        Assert.Contains($"dss tokenizer train: error: training data not found: {missing}", stderr);
        Assert.False(Directory.Exists(dir.File("tok")));
    }

    [Fact]
    public void TooSmallVocabSizeIsAClearError()
    {
        using var dir = new Fixtures.TempDir();
        var (exit, _, stderr) = CliHarness.Run("tokenizer", "train", "--data", Sample(dir), "--vocab-size", "260", "--out", dir.File("tok"));
        Assert.Equal(1, exit);
        Assert.Contains("vocab size 260 is too small: it must be at least 261 (5 special tokens + 256 byte symbols)", stderr);
    }

    [Fact]
    public void TooLargeVocabForTheDataIsAClearError()
    {
        using var dir = new Fixtures.TempDir();
        File.WriteAllText(dir.File("tiny.txt"), "abab abab");
        var (exit, _, stderr) = CliHarness.Run("tokenizer", "train", "--data", dir.File("tiny.txt"), "--vocab-size", "5000", "--out", dir.File("tok"));
        Assert.Equal(1, exit);
        Assert.Contains("no pair of symbols occurring at least 2 times", stderr);
    }

    [Fact]
    public void InvalidUtf8IsAClearError()
    {
        using var dir = new Fixtures.TempDir();
        File.WriteAllBytes(dir.File("bad.txt"), [0x61, 0x62, 0xFF, 0x63]);
        var (exit, _, stderr) = CliHarness.Run("tokenizer", "train", "--data", dir.File("bad.txt"), "--vocab-size", "300", "--out", dir.File("tok"));
        Assert.Equal(1, exit);
        Assert.Contains("not valid UTF-8", stderr);
    }

    [Fact]
    public void KeepsTheTokenizeCommand()
    {
        var names = Program.BuildRoot().Subcommands.Select(c => c.Name).ToList();
        Assert.Contains("tokenize", names);
        Assert.Contains("tokenizer", names);
    }
}
