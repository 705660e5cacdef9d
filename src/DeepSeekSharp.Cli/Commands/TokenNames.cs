namespace DeepSeekSharp.Cli.Commands;

/// <summary>Shows token ids as text when the model folder has tokenizer files; otherwise ids only.</summary>
internal static class TokenNames
{
    public static Func<int, string>? TryLoad(string modelDir)
    {
        var tok = ModelOptions.TryLoadTokenizer(modelDir);
        if (tok is null) return null;
        return id => id < tok.VocabSize ? System.Text.Json.JsonSerializer.Serialize(tok.Decode(new[] { id }), CliJson.Default.String) : "";
    }
}
