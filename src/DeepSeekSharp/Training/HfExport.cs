using System.Runtime.InteropServices;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Training;

/// <summary>
/// Writes the weights as a Hugging Face model folder with the DeepSeek release names (config.json,
/// model.safetensors in BF16 or F32, tokenizer files), atomically, loadable by <see cref="Transformer.Load"/>,
/// `dss logits`/`dss generate` and transformers. Correction biases stay F32 as released; with MTP, its
/// embed_tokens and shared_head.head copies of the shared main weights are written too, as the release has them.
/// </summary>
public static class HfExport
{
    public static readonly string[] TokenizerFiles = { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json" };

    public static void Write(string dir, ParameterSet p, string configJson, string? tokenizerDir, bool bf16)
    {
        var entries = new List<SafetensorsEntry>();
        foreach (var t in p.Tensors) entries.Add(Entry(t.Name, t, p.Data, bf16 && t.Trainable));
        if (p.HasMtp)
        {
            int m = p.Config.NumHiddenLayers;
            entries.Add(Entry(HfNames.MtpEmbed(m), p[HfNames.Embed], p.Data, bf16));
            entries.Add(Entry(HfNames.MtpHead(m), p[ParameterSet.HeadName(p.Config)], p.Data, bf16));
        }
        var extra = new Dictionary<string, ReadOnlyMemory<byte>> { ["config.json"] = System.Text.Encoding.UTF8.GetBytes(configJson) };
        if (tokenizerDir is not null)
            foreach (var name in TokenizerFiles)
            {
                string src = Path.Combine(tokenizerDir, name);
                if (!File.Exists(src)) continue;
                extra[name] = name == "tokenizer_config.json" ? WithoutBos(File.ReadAllText(src)) : File.ReadAllBytes(src);
            }
        ShardedCheckpointWriter.Write(dir, entries, maxShardBytes: 4L << 30, extraFiles: extra, overwrite: true);
    }

    /// <summary>
    /// The trainer packs documents separated by the end-of-sequence token and never feeds a BOS token, so the exported
    /// tokenizer_config.json says add_bos_token: false and prompts start the way training text did.
    /// </summary>
    internal static byte[] WithoutBos(string tokenizerConfigJson)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(tokenizerConfigJson) as System.Text.Json.Nodes.JsonObject
            ?? throw new DssException("tokenizer_config.json is not a JSON object");
        node["add_bos_token"] = false;
        return System.Text.Encoding.UTF8.GetBytes(node.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // the special tokens stay readable, as in HF's files
        }));
    }

    private static SafetensorsEntry Entry(string name, ParamTensor t, float[] data, bool bf16)
    {
        if (!bf16) return new SafetensorsEntry(name, DType.F32, t.Shape, s => s.Write(MemoryMarshal.AsBytes(data.AsSpan((int)t.Offset, t.Length))));
        return new SafetensorsEntry(name, DType.BF16, t.Shape, s =>
        {
            const int chunk = 1 << 16;
            var buf = new ushort[chunk];
            for (int i = 0; i < t.Length; i += chunk)
            {
                int n = Math.Min(chunk, t.Length - i);
                BFloat16.FromSingle(data.AsSpan((int)t.Offset + i, n), buf);
                s.Write(MemoryMarshal.AsBytes(buf.AsSpan(0, n)));
            }
        });
    }
}
