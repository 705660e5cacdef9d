using System.Text.Json;

namespace DeepSeekSharp.Conversion;

/// <summary>
/// The tokenizer as llama.cpp's "gpt2" (byte-level BPE) vocabulary wants it: one token string per id (ids the
/// tokenizer does not use are padded as [PAD{id}]), a token type per id, the merges as "left right" strings, and
/// the special token ids. Read from a Hugging Face tokenizer.json (+ tokenizer_config.json beside it when present).
/// </summary>
public sealed record GgufTokenizerData(
    string[] Tokens,
    int[] TokenTypes,
    string[] Merges,
    int? BosId,
    int? EosId,
    int? PadId,
    bool? AddBos,
    bool? AddEos,
    string? ChatTemplate)
{
    // llama.cpp's llama_token_type numbering (gguf-py TokenType).
    public const int Normal = 1;
    public const int Control = 3;
    public const int UserDefined = 4;
    public const int Unused = 5;

    /// <summary>
    /// Reads <paramref name="tokenizerJson"/> for a model of <paramref name="vocabSize"/> embedding rows.
    /// <paramref name="configBos"/>/<paramref name="configEos"/> (config.json) are used when tokenizer_config.json names none.
    /// </summary>
    public static GgufTokenizerData Load(string tokenizerJson, int vocabSize, int? configBos = null, int? configEos = null)
    {
        if (!File.Exists(tokenizerJson)) throw new DssException($"{tokenizerJson}: tokenizer.json not found");
        var tokens = new string?[vocabSize];
        var types = new int[vocabSize];
        var merges = new List<string>();
        using (var doc = ParseJson(tokenizerJson))
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new DssException($"{tokenizerJson}: no 'model' object");
            string type = model.TryGetProperty("type", out var ty) ? ty.GetString() ?? "" : "";
            if (type != "BPE") throw new DssException($"{tokenizerJson}: model type '{type}' is not supported for GGUF export (only byte-level BPE)");
            if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
                throw new DssException($"{tokenizerJson}: model.vocab is missing");
            foreach (var p in vocab.EnumerateObject())
                Put(tokenizerJson, tokens, types, p.Value.GetInt32(), p.Name, Normal);
            if (model.TryGetProperty("merges", out var ms) && ms.ValueKind == JsonValueKind.Array)
            {
                foreach (var m in ms.EnumerateArray())
                {
                    merges.Add(m.ValueKind switch
                    {
                        JsonValueKind.String => m.GetString()!,
                        JsonValueKind.Array when m.GetArrayLength() == 2 => m[0].GetString() + " " + m[1].GetString(),
                        _ => throw new DssException($"{tokenizerJson}: a merge is neither \"a b\" nor [\"a\", \"b\"]"),
                    });
                }
            }
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in added.EnumerateArray())
                {
                    int id = a.GetProperty("id").GetInt32();
                    string content = a.GetProperty("content").GetString() ?? "";
                    bool special = a.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True;
                    Put(tokenizerJson, tokens, types, id, content, special ? Control : UserDefined, replace: true);
                }
            }
        }

        var final = new string[vocabSize];
        for (int i = 0; i < vocabSize; i++)
        {
            if (tokens[i] is { } t) final[i] = t;
            else
            {
                final[i] = $"[PAD{i}]";
                types[i] = Unused;
            }
        }

        int? bos = configBos, eos = configEos, pad = null;
        bool? addBos = null, addEos = null;
        string? template = null;
        string cfgPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))!, "tokenizer_config.json");
        if (File.Exists(cfgPath))
        {
            using var cfg = ParseJson(cfgPath);
            var r = cfg.RootElement;
            bos = Lookup(r, "bos_token", final) ?? bos;
            eos = Lookup(r, "eos_token", final) ?? eos;
            pad = Lookup(r, "pad_token", final);
            if (r.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False) addBos = ab.GetBoolean();
            if (r.TryGetProperty("add_eos_token", out var ae) && ae.ValueKind is JsonValueKind.True or JsonValueKind.False) addEos = ae.GetBoolean();
            if (r.TryGetProperty("chat_template", out var ct) && ct.ValueKind == JsonValueKind.String) template = ct.GetString();
        }
        foreach (var (name, id) in new[] { ("bos", bos), ("eos", eos), ("pad", pad) })
            if (id is { } v && (v < 0 || v >= vocabSize)) throw new DssException($"{tokenizerJson}: {name} token id {v} is outside the vocabulary of {vocabSize}");
        return new GgufTokenizerData(final, types, merges.ToArray(), bos, eos, pad, addBos, addEos, template);
    }

    private static void Put(string path, string?[] tokens, int[] types, int id, string text, int type, bool replace = false)
    {
        if (id < 0 || id >= tokens.Length)
            throw new DssException($"{path}: token '{text}' has id {id}, outside the model's vocabulary of {tokens.Length} (vocab_size in config.json)");
        if (tokens[id] is { } prev && prev != text && !replace)
            throw new DssException($"{path}: id {id} is used by both '{prev}' and '{text}'");
        tokens[id] = text;
        types[id] = type;
    }

    /// <summary>A special token named in tokenizer_config.json (a string or {"content": ...}) as its id.</summary>
    private static int? Lookup(JsonElement cfg, string key, string[] tokens)
    {
        if (!cfg.TryGetProperty(key, out var v)) return null;
        string? content = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        };
        if (content is null) return null;
        int id = Array.IndexOf(tokens, content);
        return id >= 0 ? id : null;
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new DssException($"{path}: not well-formed JSON: {e.Message}");
        }
    }
}
