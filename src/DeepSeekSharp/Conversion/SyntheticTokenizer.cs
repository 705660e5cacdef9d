using System.Text.Json;

namespace DeepSeekSharp.Conversion;

/// <summary>
/// Makes a small, valid byte-level BPE tokenizer.json (GPT-2 byte alphabet) of an exact vocabulary size, for test and
/// benchmark models that ship without a tokenizer: id 0 = BOS and id 1 = EOS (DeepSeek's names), ids 2..257 the
/// 256 byte symbols, and deterministic merges of letters (and of earlier merges) for the rest.
/// </summary>
public static class SyntheticTokenizer
{
    public const string Bos = "<｜begin▁of▁sentence｜>";
    public const string Eos = "<｜end▁of▁sentence｜>";
    public const int MinVocab = 2 + 256 + 1;

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="dir"/>.</summary>
    public static void Write(string dir, int vocabSize)
    {
        var (vocab, merges) = Build(vocabSize);
        Directory.CreateDirectory(dir);
        using (var fs = File.Create(Path.Combine(dir, "tokenizer.json")))
        using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            for (int id = 0; id < 2; id++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteString("content", vocab[id]);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "ByteLevel");
            w.WriteBoolean("add_prefix_space", false);
            w.WriteBoolean("trim_offsets", true);
            w.WriteBoolean("use_regex", true);
            w.WriteEndObject();
            w.WriteNull("post_processor");
            w.WriteStartObject("decoder");
            w.WriteString("type", "ByteLevel");
            w.WriteBoolean("add_prefix_space", false);
            w.WriteBoolean("trim_offsets", true);
            w.WriteBoolean("use_regex", true);
            w.WriteEndObject();
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteStartObject("vocab");
            for (int id = 0; id < vocab.Length; id++) w.WriteNumber(vocab[id], id);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (l, r) in merges) w.WriteStringValue(l + " " + r);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["bos_token"] = Bos,
                ["eos_token"] = Eos,
                ["add_bos_token"] = true,
                ["add_eos_token"] = false,
            }));
    }

    /// <summary>The same tokenizer directly as GGUF vocabulary data (no files).</summary>
    public static GgufTokenizerData ToGgufData(int vocabSize)
    {
        var (vocab, merges) = Build(vocabSize);
        var types = new int[vocab.Length];
        for (int i = 0; i < types.Length; i++) types[i] = i < 2 ? GgufTokenizerData.Control : GgufTokenizerData.Normal;
        return new GgufTokenizerData(vocab, types, merges.Select(m => m.Left + " " + m.Right).ToArray(), 0, 1, null, true, false, null);
    }

    /// <summary>Token strings by id and the merges, exactly <paramref name="vocabSize"/> tokens.</summary>
    public static (string[] Vocab, List<(string Left, string Right)> Merges) Build(int vocabSize)
    {
        if (vocabSize < MinVocab) throw new DssException($"a synthetic byte-level tokenizer needs a vocabulary of at least {MinVocab}, the model has {vocabSize}");
        var vocab = new List<string> { Bos, Eos };
        var byteSymbols = ByteSymbols();
        vocab.AddRange(byteSymbols);
        var seen = new HashSet<string>(vocab, StringComparer.Ordinal);
        var merges = new List<(string, string)>();

        // Letters and the space symbol (Ġ) are the building blocks; each round appends one symbol to the last round's pieces.
        var symbols = new List<string> { byteSymbols[' '] };
        for (char c = 'a'; c <= 'z'; c++) symbols.Add(c.ToString());
        for (char c = 'A'; c <= 'Z'; c++) symbols.Add(c.ToString());
        var frontier = new List<string>(symbols);
        while (vocab.Count < vocabSize)
        {
            var next = new List<string>();
            foreach (var left in frontier)
            {
                foreach (var right in symbols)
                {
                    if (vocab.Count == vocabSize) break;
                    string piece = left + right;
                    if (!seen.Add(piece)) continue;
                    merges.Add((left, right));
                    vocab.Add(piece);
                    next.Add(piece);
                }
            }
            frontier = next;
        }
        return (vocab.ToArray(), merges);
    }

    /// <summary>GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others map to U+0100 and up.</summary>
    public static string[] ByteSymbols()
    {
        var map = new string[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? ((char)b).ToString() : ((char)(256 + n++)).ToString();
        }
        return map;
    }
}
