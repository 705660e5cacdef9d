using System.Text.Json;

namespace DeepSeekSharp.Tokenization;

/// <summary>The parts of tokenizer_config.json we use: bos/eos tokens, whether to add them, the chat template.</summary>
public sealed record TokenizerConfig(string? BosToken, string? EosToken, bool AddBosToken, bool AddEosToken, string? ChatTemplate)
{
    public static TokenizerConfig Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new DssException($"{path}: expected a JSON object");
            return new TokenizerConfig(
                TokenText(root, "bos_token", path),
                TokenText(root, "eos_token", path),
                Flag(root, "add_bos_token", true),
                Flag(root, "add_eos_token", false),
                Template(root, path));
        }
        catch (JsonException e)
        {
            throw new DssException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (FileNotFoundException e)
        {
            throw new DssException($"tokenizer config not found: {path}", e);
        }
    }

    // A token is written either as "text" or as {"content": "text", ...} (AddedToken).
    private static string? TokenText(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            return c.GetString();
        throw new DssException($"{path}: \"{name}\" is neither a string nor an object with \"content\"");
    }

    private static bool Flag(JsonElement root, string name, bool fallback) =>
        root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => fallback,
        } : fallback;

    // chat_template is a string, or a list of {name, template} of which "default" is the chat template.
    private static string? Template(JsonElement root, string path)
    {
        if (!root.TryGetProperty("chat_template", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in v.EnumerateArray())
            {
                if (t.TryGetProperty("name", out var n) && n.GetString() == "default") return t.GetProperty("template").GetString();
            }
            return null;
        }
        throw new DssException($"{path}: \"chat_template\" is neither a string nor a list of named templates");
    }
}
