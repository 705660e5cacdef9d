using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Cli;

namespace DeepSeekSharp.Tests;

/// <summary>`dss convert` end to end through the command line parser.</summary>
[Collection("Console")]
public class GgufConvertCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void ConvertWritesALoadableGguf()
    {
        using var tmp = new Fixtures.TempDir();
        string path = tmp.File("m.gguf");
        var (code, output, err) = Run("convert", "--model", Fixtures.Dir("v3-tiny"), "--to", "gguf", "--type", "q8_0", "--out", path, "--synthetic-tokenizer", "-q");
        Assert.True(code == 0, err);
        Assert.Contains("52 tensors", output);
        using var r = GgufReader.Open(path);
        Assert.Equal(7, r.GetInteger("general.file_type"));
    }

    [Theory]
    [InlineData("--type", "q4_k", "unknown GGUF tensor type 'q4_k'")]
    [InlineData("--to", "onnx", "--to 'onnx' is not supported")]
    public void BadOptionsAreOneClearLine(string option, string value, string message)
    {
        using var tmp = new Fixtures.TempDir();
        var args = new List<string> { "convert", "--model", Fixtures.Dir("v3-tiny"), "--to", "gguf", "--out", tmp.File("m.gguf"), "--synthetic-tokenizer" };
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange(new[] { option, value });
        var (code, _, err) = Run(args.ToArray());
        Assert.Equal(1, code);
        Assert.Contains(message, err);
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }
}
