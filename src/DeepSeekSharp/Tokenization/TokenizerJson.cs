using System.Text.Json;
using System.Text.RegularExpressions;

namespace DeepSeekSharp.Tokenization;

/// <summary>
/// The parts of a Hugging Face tokenizer.json a byte-level BPE tokenizer needs: vocabulary, merges,
/// added tokens and the pre-tokenizer's Split regexes. Anything else this reader cannot honour is an error.
/// </summary>
internal sealed class TokenizerJson
{
    public required Dictionary<string, int> Vocab { get; init; }
    public required List<string> Merges { get; init; }
    public required List<AddedToken> AddedTokens { get; init; }
    public required List<Regex> SplitRegexes { get; init; }

    public static TokenizerJson Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 256 });
            return FromRoot(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new DssException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (FileNotFoundException e)
        {
            throw new DssException($"tokenizer file not found: {path}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new DssException($"{path}: unexpected JSON shape: {e.Message}", e);
        }
    }

    private static TokenizerJson FromRoot(JsonElement root, string path)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new DssException($"{path}: no \"model\" object");
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type != "BPE") throw new DssException($"{path}: model type '{type}' is not supported (only BPE)");
        if (model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True)
            throw new DssException($"{path}: byte_fallback BPE is not supported (only byte-level BPE)");

        if (!model.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
            throw new DssException($"{path}: model has no \"vocab\" object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabJson.EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();

        if (!model.TryGetProperty("merges", out var mergesJson) || mergesJson.ValueKind != JsonValueKind.Array)
            throw new DssException($"{path}: model has no \"merges\" array");
        var merges = new List<string>(mergesJson.GetArrayLength());
        foreach (var m in mergesJson.EnumerateArray())
        {
            // Older files store "a b", newer ones ["a", "b"].
            if (m.ValueKind == JsonValueKind.String) merges.Add(m.GetString()!);
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2)
                merges.Add(m[0].GetString() + " " + m[1].GetString());
            else throw new DssException($"{path}: merge entry {merges.Count} is neither \"a b\" nor [a, b]");
        }

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedJson) && addedJson.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in addedJson.EnumerateArray())
            {
                string content = a.GetProperty("content").GetString()
                    ?? throw new DssException($"{path}: added token without content");
                bool special = a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                added.Add(new AddedToken(a.GetProperty("id").GetInt32(), content, special));
            }
        }

        var splits = new List<Regex>();
        if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object)
            CollectSplits(pre, splits, path);

        if (root.TryGetProperty("normalizer", out var norm) && norm.ValueKind == JsonValueKind.Object)
        {
            string nt = norm.GetProperty("type").GetString() ?? "";
            bool empty = nt == "Sequence" && norm.GetProperty("normalizers").GetArrayLength() == 0;
            if (!empty) throw new DssException($"{path}: normalizer '{nt}' is not supported");
        }

        return new TokenizerJson { Vocab = vocab, Merges = merges, AddedTokens = added, SplitRegexes = splits };
    }

    private static void CollectSplits(JsonElement pre, List<Regex> splits, string path)
    {
        string type = pre.GetProperty("type").GetString() ?? "";
        switch (type)
        {
            case "Sequence":
                foreach (var p in pre.GetProperty("pretokenizers").EnumerateArray()) CollectSplits(p, splits, path);
                break;
            case "Split":
                string behavior = pre.TryGetProperty("behavior", out var b) ? b.GetString() ?? "" : "";
                bool invert = pre.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                if (behavior != "Isolated" || invert)
                    throw new DssException($"{path}: Split pre-tokenizer with behavior '{behavior}' (invert={invert}) is not supported (only Isolated)");
                var pattern = pre.GetProperty("pattern");
                string regex = pattern.TryGetProperty("Regex", out var r) ? r.GetString()!
                    : Regex.Escape(pattern.GetProperty("String").GetString()!);
                try
                {
                    splits.Add(new Regex(regex, RegexOptions.Compiled | RegexOptions.CultureInvariant));
                }
                catch (ArgumentException e)
                {
                    throw new DssException($"{path}: Split regex cannot be compiled by .NET: {e.Message}", e);
                }
                break;
            case "ByteLevel":
                if (pre.TryGetProperty("use_regex", out var ur) && ur.ValueKind == JsonValueKind.True)
                    throw new DssException($"{path}: ByteLevel pre-tokenizer with use_regex=true is not supported");
                if (pre.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True)
                    throw new DssException($"{path}: ByteLevel pre-tokenizer with add_prefix_space=true is not supported");
                break;
            default:
                throw new DssException($"{path}: pre-tokenizer '{type}' is not supported");
        }
    }
}
