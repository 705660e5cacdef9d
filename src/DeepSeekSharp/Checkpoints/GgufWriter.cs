using System.Text;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// Writes a GGUF v3 file: header, metadata, tensor infos, then every tensor's data, each aligned to
/// <see cref="Alignment"/> bytes (recorded as general.alignment). Tensors are declared first with their shape and
/// type and streamed later by a producer callback, so a model larger than memory converts row by row. The file
/// appears under its name only when complete (written to a temporary file in the same folder, then renamed).
/// </summary>
public sealed class GgufWriter
{
    public const uint Magic = 0x46554747; // "GGUF" little-endian
    public const uint Version = 3;
    public const int MaxNameBytes = 63;   // GGML_MAX_NAME (64) minus the terminating zero

    private readonly List<KeyValuePair<string, GgufValue>> _kv = new();
    private readonly List<(GgufTensorInfo Info, Action<GgufRowSink> Produce)> _tensors = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public int Alignment { get; }
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => _kv;
    public IEnumerable<GgufTensorInfo> Tensors => _tensors.Select(t => t.Info);

    public GgufWriter(int alignment = 32)
    {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw new ArgumentException("alignment must be a power of two", nameof(alignment));
        Alignment = alignment;
        Set("general.alignment", GgufValue.U32((uint)alignment));
    }

    /// <summary>Adds or replaces a metadata key (keys keep the order of their first Set).</summary>
    public void Set(string key, GgufValue value)
    {
        if (string.IsNullOrEmpty(key)) throw new ArgumentException("empty metadata key");
        if (value.IsArray && value.Value is not Array) throw new ArgumentException($"{key}: array value is not an array");
        int i = _kv.FindIndex(p => p.Key == key);
        if (i >= 0) _kv[i] = new(key, value);
        else _kv.Add(new(key, value));
    }

    /// <summary>Declares a tensor (dims in ggml order, ne0 first) whose rows <paramref name="produce"/> will write.</summary>
    public void AddTensor(string name, long[] dims, GgmlType type, Action<GgufRowSink> produce)
    {
        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes) throw new DssException($"GGUF tensor name '{name}' is longer than {MaxNameBytes} bytes");
        if (!_names.Add(name)) throw new DssException($"GGUF tensor '{name}' declared twice");
        if (dims.Length is < 1 or > 4 || dims.Any(d => d <= 0)) throw new DssException($"GGUF tensor '{name}': invalid dims [{string.Join(", ", dims)}]");
        GgmlTypes.RowBytes(type, dims[0]); // validates the block multiple
        _tensors.Add((new GgufTensorInfo(name, (long[])dims.Clone(), type, 0), produce));
    }

    /// <summary>Writes the file atomically; <paramref name="progress"/> is told each tensor's name as it starts.</summary>
    public void Write(string path, Action<GgufTensorInfo>? progress = null)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir)) throw new DssException($"{dir}: output folder does not exist");
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(fs, progress);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    private void WriteTo(Stream s, Action<GgufTensorInfo>? progress)
    {
        // Offsets of each tensor within the data section.
        var infos = new List<GgufTensorInfo>(_tensors.Count);
        long offset = 0;
        foreach (var (info, _) in _tensors)
        {
            infos.Add(info with { Offset = offset });
            offset = Align(offset + info.ByteLength);
        }

        var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true); // BinaryWriter is little-endian on every platform
        w.Write(Magic);
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_kv.Count);
        foreach (var (key, value) in _kv)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value);
        }
        foreach (var t in infos)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (var d in t.Dims) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)t.Offset);
        }
        w.Flush();
        Pad(s);

        long dataStart = s.Position;
        for (int i = 0; i < infos.Count; i++)
        {
            var t = infos[i];
            if (s.Position - dataStart != t.Offset) throw new InvalidOperationException($"{t.Name}: data offset mismatch");
            progress?.Invoke(t);
            var sink = new GgufRowSink(s, t);
            _tensors[i].Produce(sink);
            if (sink.RowsWritten != t.Rows)
                throw new InvalidOperationException($"{t.Name}: the producer wrote {sink.RowsWritten} rows, the tensor has {t.Rows}");
            Pad(s);
        }
    }

    private long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private void Pad(Stream s)
    {
        long pad = Align(s.Position) - s.Position;
        for (long i = 0; i < pad; i++) s.WriteByte(0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValue v)
    {
        if (v.Type == GgufValueType.Array)
        {
            var a = (Array)v.Value;
            w.Write((uint)v.ElementType);
            w.Write((ulong)a.Length);
            foreach (var e in a) WriteScalar(w, v.ElementType, e!);
        }
        else WriteScalar(w, v.Type, v.Value);
    }

    private static void WriteScalar(BinaryWriter w, GgufValueType t, object o)
    {
        switch (t)
        {
            case GgufValueType.UInt8: w.Write(Convert.ToByte(o)); break;
            case GgufValueType.Int8: w.Write(Convert.ToSByte(o)); break;
            case GgufValueType.UInt16: w.Write(Convert.ToUInt16(o)); break;
            case GgufValueType.Int16: w.Write(Convert.ToInt16(o)); break;
            case GgufValueType.UInt32: w.Write(Convert.ToUInt32(o)); break;
            case GgufValueType.Int32: w.Write(Convert.ToInt32(o)); break;
            case GgufValueType.Float32: w.Write(Convert.ToSingle(o)); break;
            case GgufValueType.Bool: w.Write((byte)((bool)o ? 1 : 0)); break;
            case GgufValueType.String: WriteString(w, (string)o); break;
            case GgufValueType.UInt64: w.Write(Convert.ToUInt64(o)); break;
            case GgufValueType.Int64: w.Write(Convert.ToInt64(o)); break;
            case GgufValueType.Float64: w.Write(Convert.ToDouble(o)); break;
            default: throw new InvalidOperationException($"cannot write a GGUF {t} here (nested arrays are not supported)");
        }
    }
}
