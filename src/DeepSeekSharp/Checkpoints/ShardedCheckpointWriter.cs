using System.Text.Encodings.Web;
using System.Text.Json;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// Writes a Hugging Face model folder: tensors split into shards of at most <c>maxShardBytes</c> of tensor data
/// (<c>model-00001-of-0000N.safetensors</c>) plus <c>model.safetensors.index.json</c>; a single shard is written
/// as <c>model.safetensors</c> without an index, as Hugging Face does. Extra files (config.json, tokenizer.json)
/// go in the same folder.
/// <para>
/// Atomic at folder level: everything is written into a sibling staging folder <c>&lt;dir&gt;.tmp-&lt;random&gt;</c>
/// and renamed into place. With <c>overwrite</c>, an existing folder is renamed aside to <c>&lt;dir&gt;.old-&lt;random&gt;</c>
/// first and deleted after the new one is in place, so <c>dir</c> is always either the complete old folder, the
/// complete new one, or (between two renames) absent, with the old folder still on disk.
/// </para>
/// </summary>
public static class ShardedCheckpointWriter
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    /// <summary>Writes the folder and returns the shard file names in order.</summary>
    public static IReadOnlyList<string> Write(string dir, IEnumerable<SafetensorsEntry> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null, IReadOnlyDictionary<string, ReadOnlyMemory<byte>>? extraFiles = null,
        bool overwrite = false)
    {
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), "must be positive");
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        if (!overwrite && (Directory.Exists(target) || File.Exists(target)))
            throw new DssException($"{target}: already exists (pass overwrite to replace it)");
        var shards = Plan(SafetensorsWriter.Order(tensors), maxShardBytes);
        var names = ShardNames(shards.Count);
        foreach (var extra in extraFiles?.Keys ?? [])
        {
            if (extra != Path.GetFileName(extra) || names.Contains(extra) || extra == IndexFileName)
                throw new ArgumentException($"extra file '{extra}' must be a plain file name that is not a shard or the index", nameof(extraFiles));
        }

        string staging = target + ".tmp-" + AtomicFile.RandomSuffix();
        Directory.CreateDirectory(staging);
        try
        {
            for (int i = 0; i < shards.Count; i++)
            {
                string path = Path.Combine(staging, names[i]);
                var shard = shards[i];
                using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
                SafetensorsWriter.WriteTo(fs, Path.Combine(target, names[i]), shard, metadata);
                fs.Flush(flushToDisk: true);
            }
            if (shards.Count > 1) File.WriteAllBytes(Path.Combine(staging, IndexFileName), BuildIndex(shards, names));
            foreach (var (name, bytes) in extraFiles ?? new Dictionary<string, ReadOnlyMemory<byte>>())
                File.WriteAllBytes(Path.Combine(staging, name), bytes.ToArray());
            Commit(staging, target);
        }
        catch
        {
            TryDeleteDir(staging);
            throw;
        }
        return names;
    }

    /// <summary>Greedy split in storage order; a tensor larger than the limit gets a shard of its own.</summary>
    internal static List<List<SafetensorsEntry>> Plan(IReadOnlyList<SafetensorsEntry> ordered, long maxShardBytes)
    {
        var shards = new List<List<SafetensorsEntry>> { new() };
        long size = 0;
        foreach (var t in ordered)
        {
            if (shards[^1].Count > 0 && size + t.ByteLength > maxShardBytes)
            {
                shards.Add(new List<SafetensorsEntry>());
                size = 0;
            }
            shards[^1].Add(t);
            size += t.ByteLength;
        }
        return shards;
    }

    private static string[] ShardNames(int n) =>
        n == 1 ? [SingleFileName] : Enumerable.Range(1, n).Select(i => $"model-{i:D5}-of-{n:D5}.safetensors").ToArray();

    private static byte[] BuildIndex(List<List<SafetensorsEntry>> shards, string[] names)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        for (int i = 0; i < shards.Count; i++)
        {
            foreach (var t in shards[i])
            {
                map[t.Name] = names[i];
                total += t.ByteLength;
            }
        }
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteNumber("total_size", total);
            w.WriteEndObject();
            w.WriteStartObject("weight_map");
            foreach (var kv in map) w.WriteString(kv.Key, kv.Value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static void Commit(string staging, string target)
    {
        if (!Directory.Exists(target) && !File.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }
        string old = target + ".old-" + AtomicFile.RandomSuffix();
        Directory.Move(target, old);
        try
        {
            Directory.Move(staging, target);
        }
        catch
        {
            Directory.Move(old, target);
            throw;
        }
        TryDeleteDir(old);
    }

    private static void TryDeleteDir(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
