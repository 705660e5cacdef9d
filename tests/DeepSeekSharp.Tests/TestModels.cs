using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Tests;

/// <summary>
/// Model folders for tests that need text in and out. The v3-tiny fixture (vocab 1024) ships no tokenizer, so
/// <see cref="TinyChat"/> is that fixture plus a byte-level BPE tokenizer that fits its vocabulary: special tokens
/// 0-3 (begin/end of sentence = the config's bos/eos ids 0/1, User, Assistant), 256 byte tokens at 4-259 and
/// merges learned from the Brown corpus up to id 1023, DeepSeek-V3's pre-tokenizer and its chat template.
/// </summary>
public static class TestModels
{
    public const string Bos = "<｜begin▁of▁sentence｜>";
    public const string Eos = "<｜end▁of▁sentence｜>";
    public const string User = "<｜User｜>";
    public const string Assistant = "<｜Assistant｜>";
    private const int FirstByteId = 4;

    private static readonly Lazy<string> Tiny = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"dss-test-models-{Environment.ProcessId}", "v3-tiny-chat");
        CreateTinyChat(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true); } catch (IOException) { }
        };
        return dir;
    });

    /// <summary>The v3-tiny chat model folder, built once per test run (model id "v3-tiny-chat").</summary>
    public static string TinyChat => Tiny.Value;

    /// <summary>Writes config.json, model.safetensors, tokenizer.json and tokenizer_config.json for v3-tiny into dir.</summary>
    public static void CreateTinyChat(string dir, int vocabSize = 1024)
    {
        Directory.CreateDirectory(dir);
        string fixture = Fixtures.Dir("v3-tiny");
        File.Copy(Path.Combine(fixture, "config.json"), Path.Combine(dir, "config.json"), overwrite: true);
        File.Copy(Path.Combine(fixture, "model.safetensors"), Path.Combine(dir, "model.safetensors"), overwrite: true);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), TokenizerJson(vocabSize));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), TokenizerConfigJson());
    }

    private static string TokenizerJson(int vocabSize)
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevelAlphabet.ToChar((byte)b).ToString()] = FirstByteId + b;
        var merges = new JsonArray();
        int next = FirstByteId + 256;
        foreach (var (a, b) in LearnMerges(TrainingText(), vocabSize - next))
        {
            vocab[a + b] = next++;
            merges.Add(a + " " + b);
        }
        var added = new JsonArray();
        string[] specials = [Bos, Eos, User, Assistant];
        for (int i = 0; i < specials.Length; i++)
        {
            added.Add(new JsonObject
            {
                ["id"] = i, ["content"] = specials[i], ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray() },
            ["pre_tokenizer"] = JsonNode.Parse(DeepSeekV3PreTokenizer()),
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    // DeepSeek-V3's own pre-tokenizer (digits, CJK, words/punctuation), from the shared tokenizer.
    private static string DeepSeekV3PreTokenizer()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.Shared, "tokenizers", "deepseek-v3", "tokenizer.json")));
        return doc.RootElement.GetProperty("pre_tokenizer").GetRawText();
    }

    private static string TokenizerConfigJson()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.Shared, "tokenizers", "deepseek-v3", "tokenizer_config.json")));
        string template = doc.RootElement.GetProperty("chat_template").GetString()!;
        return new JsonObject
        {
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["bos_token"] = Bos,
            ["eos_token"] = Eos,
            ["model_max_length"] = 128,
            ["chat_template"] = template,
        }.ToJsonString();
    }

    private static string TrainingText()
    {
        string text = File.ReadAllText(Path.Combine(Fixtures.Shared, "corpora", "brown", "fiction.txt"));
        return text[..Math.Min(text.Length, 40_000)];
    }

    // Plain BPE training over byte-level words: repeatedly merge the most frequent adjacent pair (ties: ordinal).
    private static List<(string, string)> LearnMerges(string text, int count)
    {
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(text, @" ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+"))
        {
            var sb = new StringBuilder();
            foreach (byte b in Encoding.UTF8.GetBytes(m.Value)) sb.Append(ByteLevelAlphabet.ToChar(b));
            string w = sb.ToString();
            wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
        }
        var words = wordCounts.Select(kv => (Parts: kv.Key.Select(c => c.ToString()).ToList(), Count: kv.Value)).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < count)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (parts, n) in words)
                for (int i = 0; i + 1 < parts.Count; i++)
                    pairs[(parts[i], parts[i + 1])] = pairs.GetValueOrDefault((parts[i], parts[i + 1])) + n;
            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1, StringComparer.Ordinal)
                .ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First().Key;
            merges.Add(best);
            foreach (var (parts, _) in words)
            {
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (parts[i] != best.Item1 || parts[i + 1] != best.Item2) continue;
                    parts[i] = best.Item1 + best.Item2;
                    parts.RemoveAt(i + 1);
                }
            }
        }
        return merges;
    }
}
