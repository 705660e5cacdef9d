using System.Text.Json;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// The tensors of a Hugging Face model folder: one <c>model.safetensors</c>, or shards listed in
/// <c>model.safetensors.index.json</c>. All files stay memory-mapped, or resident in memory (<see cref="WeightResidence"/>), while the checkpoint is open.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    private readonly List<SafetensorsFile> _files = new();
    private readonly Dictionary<string, SafetensorsFile> _byTensor = new(StringComparer.Ordinal);

    public string Directory { get; }
    public IReadOnlyList<SafetensorsFile> Files => _files;
    public IEnumerable<string> TensorNames => _byTensor.Keys;

    private Checkpoint(string dir) => Directory = dir;

    /// <summary>How the files were held: <see cref="WeightResidence.Memory"/> or <see cref="WeightResidence.Mapped"/>.</summary>
    public WeightResidence Residence { get; private set; } = WeightResidence.Mapped;

    /// <summary>Opens the model folder; residence says whether its files are mapped (default) or read into memory.</summary>
    public static Checkpoint Open(string dir, WeightResidence residence = WeightResidence.Mapped)
    {
        if (!System.IO.Directory.Exists(dir)) throw new DssException($"{dir}: model folder not found");
        var ck = new Checkpoint(dir);
        try
        {
            string index = System.IO.Path.Combine(dir, "model.safetensors.index.json");
            string single = System.IO.Path.Combine(dir, "model.safetensors");
            // (file, tensor names the index maps to it, or null)
            var files = new List<(string Path, List<string>? Indexed)>();
            if (File.Exists(index))
            {
                foreach (var shard in ReadIndex(index))
                {
                    string shardPath = System.IO.Path.Combine(dir, shard.Key);
                    if (!File.Exists(shardPath))
                        throw new CheckpointFormatException(index, shard.Value[0],
                            $"the index maps it (and {shard.Value.Count - 1} more) to '{shard.Key}' but that file does not exist");
                    files.Add((shardPath, shard.Value));
                }
            }
            else if (File.Exists(single)) files.Add((single, null));
            else
            {
                var any = System.IO.Directory.GetFiles(dir, "*.safetensors").OrderBy(p => p, StringComparer.Ordinal).ToArray();
                if (any.Length == 0)
                    throw new DssException($"{dir}: no model.safetensors, model.safetensors.index.json or *.safetensors file");
                files.AddRange(any.Select(p => (p, (List<string>?)null)));
            }

            ck.Residence = WeightResidences.Resolve(residence, files.Sum(f => new FileInfo(f.Path).Length));
            foreach (var (path, indexed) in files)
            {
                var f = SafetensorsFile.Open(path, resident: ck.Residence == WeightResidence.Memory);
                ck._files.Add(f);
                foreach (var name in indexed ?? [])
                {
                    if (!f.Contains(name))
                        throw new CheckpointFormatException(index, name, $"the index maps it to '{System.IO.Path.GetFileName(path)}' but that file does not contain it");
                }
                foreach (var name in f.Tensors.Keys) ck.Add(f, name);
            }
            return ck;
        }
        catch
        {
            ck.Dispose();
            throw;
        }
    }

    private void Add(SafetensorsFile f, string name)
    {
        if (_byTensor.TryGetValue(name, out var other) && other != f)
            throw new CheckpointFormatException(f.Path, name, $"also present in '{other.Path}'");
        _byTensor[name] = f;
    }

    /// <summary>Shard file name -> tensor names, from the index's weight_map.</summary>
    private static Dictionary<string, List<string>> ReadIndex(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"not well-formed JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, null, "missing 'weight_map' object");
            var shards = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new CheckpointFormatException(path, p.Name, "weight_map value is not a file name");
                string file = p.Value.GetString()!;
                if (file.Contains('/') || file.Contains('\\') || file.Contains(".."))
                    throw new CheckpointFormatException(path, p.Name, $"shard name '{file}' must be a plain file name");
                if (!shards.TryGetValue(file, out var list)) shards[file] = list = new List<string>();
                list.Add(p.Name);
            }
            return shards;
        }
    }

    public bool Contains(string name) => _byTensor.ContainsKey(name);

    public SafetensorsFile FileOf(string name) =>
        _byTensor.TryGetValue(name, out var f) ? f : throw new CheckpointFormatException(Directory, name, "missing tensor");

    public TensorInfo Info(string name) => FileOf(name).Info(name);

    public ReadOnlySpan<byte> GetBytes(string name) => FileOf(name).GetBytes(name);

    /// <summary>Reads any floating-point tensor as a new F32 array (for small tensors: norms, biases, references).</summary>
    public float[] ReadF32(string name) => FileOf(name).ReadF32(name);

    public int[] ReadI32(string name) => FileOf(name).ReadI32(name);

    /// <summary>Checks a tensor's shape, naming the tensor and both shapes when it differs.</summary>
    public TensorInfo Expect(string name, params long[] shape)
    {
        var t = Info(name);
        if (!t.Shape.SequenceEqual(shape))
            throw new CheckpointFormatException(FileOf(name).Path, name, $"shape {t.ShapeString} but the config implies [{string.Join(", ", shape)}]");
        return t;
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
