using System.CommandLine;

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
}
