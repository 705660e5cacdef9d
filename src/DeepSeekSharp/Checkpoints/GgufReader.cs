using System.Runtime.InteropServices;
using System.Text;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// Reads a GGUF (v2 or v3) file: metadata, tensor infos, and tensor data (raw bytes or decoded to F32 for the
/// F32, F16, BF16 and Q8_0 types). Every length in the header is checked against the file size before use, so a
/// truncated or corrupt file gives a clear <see cref="CheckpointFormatException"/>.
/// </summary>
public sealed class GgufReader : IDisposable
{
    private readonly FileStream _fs;
    private readonly Dictionary<string, GgufValue> _kv = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GgufTensorInfo> _tensors = new(StringComparer.Ordinal);
    private readonly List<GgufTensorInfo> _order = new();

    public string Path { get; }
    public uint Version { get; }
    public int Alignment { get; }
    public long DataStart { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata => _kv;
    public IReadOnlyList<GgufTensorInfo> Tensors => _order;

    private GgufReader(string path, FileStream fs, uint version, int alignment, long dataStart)
    {
        Path = path;
        _fs = fs;
        Version = version;
        Alignment = alignment;
        DataStart = dataStart;
    }

    public static GgufReader Open(string path)
    {
        if (!File.Exists(path)) throw new DssException($"{path}: file not found");
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return Parse(path, fs);
        }
        catch (EndOfStreamException)
        {
            fs.Dispose();
            throw new CheckpointFormatException(path, null, "GGUF header runs past the end of the file: truncated or corrupt");
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    private static GgufReader Parse(string path, FileStream fs)
    {
        long length = fs.Length;
        var r = new BinaryReader(fs, Encoding.UTF8, leaveOpen: true);
        uint magic = r.ReadUInt32();
        if (magic != GgufWriter.Magic) throw new CheckpointFormatException(path, null, $"not a GGUF file (magic 0x{magic:x8})");
        uint version = r.ReadUInt32();
        if (version is not (2 or 3)) throw new CheckpointFormatException(path, null, $"GGUF version {version} is not supported (2, 3)");
        ulong nTensors = r.ReadUInt64(), nKv = r.ReadUInt64();
        // Each tensor info and key/value needs well over 8 bytes: bounds the counts by the file size.
        if (nTensors > (ulong)length / 8 || nKv > (ulong)length / 8)
            throw new CheckpointFormatException(path, null, $"{nTensors} tensors and {nKv} keys cannot fit in {length} bytes");

        var kv = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        for (ulong i = 0; i < nKv; i++)
        {
            string key = ReadString(r, path, length);
            var type = (GgufValueType)r.ReadUInt32();
            var value = ReadValue(r, path, length, type, key);
            if (!kv.TryAdd(key, value)) throw new CheckpointFormatException(path, null, $"metadata key '{key}' appears twice");
        }

        int alignment = 32;
        if (kv.TryGetValue("general.alignment", out var al))
        {
            long a = al.AsInteger();
            if (a <= 0 || (a & (a - 1)) != 0 || a > 1 << 20) throw new CheckpointFormatException(path, null, $"general.alignment {a} is not a power of two");
            alignment = (int)a;
        }

        var infos = new List<GgufTensorInfo>();
        for (ulong i = 0; i < nTensors; i++)
        {
            string name = ReadString(r, path, length);
            uint nd = r.ReadUInt32();
            if (nd is < 1 or > 4) throw new CheckpointFormatException(path, name, $"{nd} dimensions (1 to 4 allowed)");
            var dims = new long[nd];
            for (int d = 0; d < nd; d++)
            {
                ulong v = r.ReadUInt64();
                if (v == 0 || v > (ulong)length * 32) throw new CheckpointFormatException(path, name, $"dimension {d} is {v}");
                dims[d] = (long)v;
            }
            uint rawType = r.ReadUInt32();
            if (!GgmlTypes.IsKnown(rawType)) throw new CheckpointFormatException(path, name, $"ggml type {rawType} is not supported by this reader (F32, F16, BF16, Q8_0)");
            ulong off = r.ReadUInt64();
            if (off % (ulong)alignment != 0) throw new CheckpointFormatException(path, name, $"data offset {off} is not aligned to {alignment}");
            infos.Add(new GgufTensorInfo(name, dims, (GgmlType)rawType, (long)off));
        }

        long dataStart = (fs.Position + alignment - 1) / alignment * alignment;
        var reader = new GgufReader(path, fs, version, alignment, dataStart);
        foreach (var (k, v) in kv) reader._kv[k] = v;
        foreach (var t in infos)
        {
            long end;
            try { end = checked(dataStart + t.Offset + t.ByteLength); }
            catch (Exception e) when (e is OverflowException or DssException) { throw new CheckpointFormatException(path, t.Name, $"{t.Type} {t.DimsString}: {e.Message}"); }
            if (end > length)
                throw new CheckpointFormatException(path, t.Name, $"data [{t.Offset}, {t.Offset + t.ByteLength}) runs past the end of the file ({length} bytes): truncated or corrupt");
            if (!reader._tensors.TryAdd(t.Name, t)) throw new CheckpointFormatException(path, t.Name, "tensor name appears twice");
            reader._order.Add(t);
        }
        return reader;
    }

    private static string ReadString(BinaryReader r, string path, long length)
    {
        ulong n = r.ReadUInt64();
        if (n > (ulong)(length - r.BaseStream.Position)) throw new CheckpointFormatException(path, null, $"string of {n} bytes runs past the end of the file");
        return Encoding.UTF8.GetString(r.ReadBytes((int)n));
    }

    private static GgufValue ReadValue(BinaryReader r, string path, long length, GgufValueType type, string key)
    {
        if (type != GgufValueType.Array) return new GgufValue(type, ReadScalar(r, path, length, type, key));
        var et = (GgufValueType)r.ReadUInt32();
        ulong n = r.ReadUInt64();
        if (n > (ulong)(length - r.BaseStream.Position)) throw new CheckpointFormatException(path, null, $"'{key}': array of {n} elements runs past the end of the file");
        int count = (int)n;
        Array a = et switch
        {
            GgufValueType.UInt8 => new byte[count],
            GgufValueType.Int8 => new sbyte[count],
            GgufValueType.UInt16 => new ushort[count],
            GgufValueType.Int16 => new short[count],
            GgufValueType.UInt32 => new uint[count],
            GgufValueType.Int32 => new int[count],
            GgufValueType.Float32 => new float[count],
            GgufValueType.Bool => new bool[count],
            GgufValueType.String => new string[count],
            GgufValueType.UInt64 => new ulong[count],
            GgufValueType.Int64 => new long[count],
            GgufValueType.Float64 => new double[count],
            _ => throw new CheckpointFormatException(path, null, $"'{key}': arrays of {et} are not supported"),
        };
        for (int i = 0; i < count; i++) a.SetValue(ReadScalar(r, path, length, et, key), i);
        return new GgufValue(GgufValueType.Array, a, et);
    }

    private static object ReadScalar(BinaryReader r, string path, long length, GgufValueType t, string key) => t switch
    {
        GgufValueType.UInt8 => r.ReadByte(),
        GgufValueType.Int8 => r.ReadSByte(),
        GgufValueType.UInt16 => r.ReadUInt16(),
        GgufValueType.Int16 => r.ReadInt16(),
        GgufValueType.UInt32 => r.ReadUInt32(),
        GgufValueType.Int32 => r.ReadInt32(),
        GgufValueType.Float32 => r.ReadSingle(),
        GgufValueType.Bool => r.ReadByte() switch
        {
            0 => false,
            1 => true,
            var b => throw new CheckpointFormatException(path, null, $"'{key}': bool byte {b}"),
        },
        GgufValueType.String => ReadString(r, path, length),
        GgufValueType.UInt64 => r.ReadUInt64(),
        GgufValueType.Int64 => r.ReadInt64(),
        GgufValueType.Float64 => r.ReadDouble(),
        _ => throw new CheckpointFormatException(path, null, $"'{key}': unknown value type {(uint)t}"),
    };

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public GgufTensorInfo Info(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new CheckpointFormatException(Path, name, "missing tensor");

    public GgufValue Get(string key) =>
        _kv.TryGetValue(key, out var v) ? v : throw new CheckpointFormatException(Path, null, $"missing metadata key '{key}'");

    public string GetString(string key) => Get(key).Value as string ?? throw new CheckpointFormatException(Path, null, $"'{key}' is not a string");
    public long GetInteger(string key) => Get(key).AsInteger();
    public double GetDouble(string key) => Get(key).AsDouble();

    public T[] GetArray<T>(string key) =>
        Get(key).Value as T[] ?? throw new CheckpointFormatException(Path, null, $"'{key}' is not an array of {typeof(T).Name}");

    /// <summary>The tensor's bytes as stored.</summary>
    public byte[] ReadBytes(string name)
    {
        var t = Info(name);
        var buf = new byte[t.ByteLength];
        lock (_fs)
        {
            _fs.Position = DataStart + t.Offset;
            _fs.ReadExactly(buf);
        }
        return buf;
    }

    /// <summary>The tensor decoded to F32, in ggml order (row-major with rows of ne0 values).</summary>
    public float[] ReadF32(string name)
    {
        var t = Info(name);
        var bytes = ReadBytes(name);
        var dst = new float[t.ElementCount];
        switch (t.Type)
        {
            case GgmlType.F32: MemoryMarshal.Cast<byte, float>(bytes).CopyTo(dst); break;
            case GgmlType.F16:
                var h = MemoryMarshal.Cast<byte, Half>(bytes);
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)h[i];
                break;
            case GgmlType.BF16: BFloat16.ToSingle(MemoryMarshal.Cast<byte, ushort>(bytes), dst); break;
            case GgmlType.Q8_0: Q8_0.Dequantize(bytes, dst); break;
            default: throw new CheckpointFormatException(Path, name, $"cannot decode {t.Type}");
        }
        return dst;
    }

    public void Dispose() => _fs.Dispose();
}
