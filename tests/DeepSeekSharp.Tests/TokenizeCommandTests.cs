using DeepSeekSharp.Cli;

namespace DeepSeekSharp.Tests;

[Collection("Console")]
public class TokenizeCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void EncodesTextToAJsonArray()
    {
        var (code, output, err) = Run("tokenize", "--tokenizer", TokenizerTestData.Dir, "--text", "Hello, world!");
        Assert.True(code == 0, err);
        Assert.Equal("[19923,14,2058,3]", output.Trim());
    }

    [Fact]
    public void AddsBosWhenAsked()
    {
        var (code, output, _) = Run("tokenize", "--tokenizer", TokenizerTestData.Dir, "--text", "Hello", "--add-special-tokens");
        Assert.Equal(0, code);
        Assert.Equal("[0,19923]", output.Trim());
    }

    [Fact]
    public void DecodesIdsToText()
    {
        var (code, output, err) = Run("tokenize", "--tokenizer", TokenizerTestData.Dir, "--decode", "19923,14,2058,3");
        Assert.True(code == 0, err);
        Assert.Equal("Hello, world!" + Environment.NewLine, output);
    }

    [Fact]
    public void ModelFolderWorksLikeTokenizerFolder()
    {
        using var model = new Fixtures.TempDir();
        File.Copy(Path.Combine(TokenizerTestData.Dir, "tokenizer.json"), model.File("tokenizer.json"));
        File.Copy(Path.Combine(TokenizerTestData.Dir, "tokenizer_config.json"), model.File("tokenizer_config.json"));
        File.WriteAllText(model.File("config.json"), "{}");
        var (code, output, err) = Run("tokenize", "--model", model.Path, "--text", "<｜User｜>hi");
        Assert.True(code == 0, err);
        Assert.Equal("[128803,6366]", output.Trim());   // as reference.json encodes "<｜User｜>hi"
    }

    [Theory]
    [InlineData(new[] { "tokenize", "--text", "x" }, "give --tokenizer DIR or --model DIR")]
    [InlineData(new[] { "tokenize", "--tokenizer", "DIR" }, "give exactly one of --text TEXT or --decode 1,2,3")]
    [InlineData(new[] { "tokenize", "--tokenizer", "DIR", "--decode", "1,x" }, "--decode: 'x' is not a token id")]
    [InlineData(new[] { "tokenize", "--tokenizer", "DIR", "--decode", "999999" }, "--decode: '999999' is not a token id")]
    [InlineData(new[] { "tokenize", "--tokenizer", "/nonexistent/dss", "--text", "x" }, "tokenizer folder not found")]
    public void UserErrorsPrintOneLineAndExitOne(string[] args, string message)
    {
        args = args.Select(a => a == "DIR" ? TokenizerTestData.Dir : a).ToArray();
        var (code, _, err) = Run(args);
        Assert.Equal(1, code);
        Assert.StartsWith("dss tokenize: error: ", err);
        Assert.Contains(message, err);
    }
}
