using System.Text.Encodings.Web;
using System.Text.Json;

namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// Writes a trained BPE as a Hugging Face tokenizer.json with DeepSeek-V3's layout: the same top-level keys in the
/// same order, its normalizer, pre_tokenizer (the Split sequence of <see cref="DeepSeekV3PreTokenizer"/>),
/// post_processor and decoder verbatim, and a BPE model in the current format (tokenizers 0.20+: "ignore_merges",
/// merges as [left, right] pairs). Indented by two spaces with "\n" line ends and non-ASCII text unescaped, as
/// the tokenizers library pretty-prints, so output is byte-for-byte reproducible.
/// </summary>
public static class TokenizerJsonWriter
{
    internal static JsonWriterOptions Options { get; } = new()
    {
        Indented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] ToBytes(TrainedBpe bpe)
    {
        ArgumentNullException.ThrowIfNull(bpe);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            WriteAddedTokens(w, bpe.AddedTokens);
            w.WriteStartObject("normalizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("normalizers");
            w.WriteEndArray();
            w.WriteEndObject();
            WritePreTokenizer(w);
            WriteByteLevel(w, "post_processor", addPrefixSpace: true, trimOffsets: false, useRegex: true);
            WriteByteLevel(w, "decoder", addPrefixSpace: true, trimOffsets: true, useRegex: true);
            WriteModel(w, bpe);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteAddedTokens(Utf8JsonWriter w, IReadOnlyList<AddedToken> tokens)
    {
        w.WriteStartArray("added_tokens");
        foreach (var t in tokens)
        {
            w.WriteStartObject();
            w.WriteNumber("id", t.Id);
            w.WriteString("content", t.Content);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("normalized", !t.Special);
            w.WriteBoolean("special", t.Special);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WritePreTokenizer(Utf8JsonWriter w)
    {
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        foreach (string pattern in DeepSeekV3PreTokenizer.Patterns)
        {
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", pattern);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
        }
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", true);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter w, string name, bool addPrefixSpace, bool trimOffsets, bool useRegex)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", addPrefixSpace);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", useRegex);
        w.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter w, TrainedBpe bpe)
    {
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", false);
        w.WriteStartObject("vocab");
        for (int id = 0; id < bpe.Vocab.Count; id++) w.WriteNumber(bpe.Vocab[id], id);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (var (left, right) in bpe.Merges)
        {
            w.WriteStartArray();
            w.WriteStringValue(left);
            w.WriteStringValue(right);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
