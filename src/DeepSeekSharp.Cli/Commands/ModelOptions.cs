using System.CommandLine;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>Options shared by the commands that load a model.</summary>
internal static class ModelOptions
{
    public static Option<string> Model(bool required = true) => new("--model", "-m")
    {
        Description = "Model folder (config.json + model.safetensors or a sharded index, tokenizer files)",
        Required = required,
    };

    /// <summary>Parses "12,7,99" into token ids with a clear error for anything else.</summary>
    public static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new DssException("--ids is empty: give comma-separated token ids, e.g. --ids 12,7,99");
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out ids[i]) || ids[i] < 0)
                throw new DssException($"--ids: '{parts[i]}' is not a token id (non-negative integer)");
        return ids;
    }

    /// <summary>The model folder to use: the given one, or the embedded default model when omitted.</summary>
    public static string ResolveModel(string? dir) =>
        dir ?? DefaultModel.Directory ?? throw new DssException("give --model DIR (no default model is installed next to dss)");

    /// <summary>The tokenizer in a model folder, or null when it has no tokenizer.json.</summary>
    public static HfTokenizer? TryLoadTokenizer(string modelDir) =>
        File.Exists(Path.Combine(modelDir, "tokenizer.json")) ? HfTokenizer.Load(modelDir) : null;
}
