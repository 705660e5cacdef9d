using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// A safetensors file, memory-mapped or read whole into resident memory (<see cref="LargePageBuffer"/>: 2 MiB pages,
/// faster to stream on every decode step; see <see cref="WeightResidence"/>). The header is fully validated before any
/// tensor is handed out; tensors are zero-copy views into the mapping or the copy and stay valid until the file is disposed.
/// Layout: u64 little-endian header length N, N bytes of JSON, then the data area.
/// Validation: every tensor's dtype, shape and data_offsets are checked, offsets must lie in the data area, byte
/// length must equal shape x dtype size, and no two tensors may share bytes. Gaps between tensors and trailing bytes
/// are tolerated (they cannot make a view unsafe); <see cref="SafetensorsWriter"/> never writes them.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>Headers above this are refused before reading them (the format's own reference limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly LargePageBuffer? _resident;
    private readonly byte* _base;
    private readonly Dictionary<string, TensorInfo> _tensors;
    private bool _disposed;

    public string Path { get; }
    public long FileLength { get; }
    public long DataStart { get; }
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>True when the file was read into resident memory rather than mapped.</summary>
    public bool IsResident => _resident is not null;

    private SafetensorsFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr,
        long dataStart, Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata, LargePageBuffer? resident = null)
    {
        Path = path;
        FileLength = length;
        _map = map;
        _view = view;
        _resident = resident;
        _base = basePtr;
        DataStart = dataStart;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Opens and validates the file; resident reads it whole into memory instead of mapping it.</summary>
    public static SafetensorsFile Open(string path, bool resident = false)
    {
        if (!File.Exists(path)) throw new DssException($"{path}: file not found");

        // One handle for validation and mapping, so the length we checked is the length we map.
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        try
        {
            long length = fs.Length;
            if (length < 8) throw new CheckpointFormatException(path, null, $"file is {length} bytes, too short for the 8-byte header length");

            // Read and validate the header with plain file I/O before mapping anything.
            Span<byte> lenBytes = stackalloc byte[8];
            fs.ReadExactly(lenBytes);
            ulong rawHeaderLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
            if (rawHeaderLen > MaxHeaderBytes)
                throw new CheckpointFormatException(path, null, $"header length {rawHeaderLen} exceeds the limit of {MaxHeaderBytes} bytes");
            long headerLen = (long)rawHeaderLen;
            if (8 + headerLen > length)
                throw new CheckpointFormatException(path, null, $"header length {headerLen} runs past the end of the file ({length} bytes): the file is truncated or corrupt");
            var headerBytes = new byte[headerLen];
            fs.ReadExactly(headerBytes);

            long dataStart = 8 + headerLen;
            long dataLength = length - dataStart;
            var (tensors, metadata) = ParseHeader(path, headerBytes, dataStart, dataLength);

            if (dataLength == 0)
            {
                fs.Dispose();
                return new SafetensorsFile(path, length, null, null, null, dataStart, tensors, metadata);
            }

            if (resident)
            {
                var copy = ReadWhole(path, fs, length);
                fs.Dispose();
                return new SafetensorsFile(path, length, null, null, copy.Pointer, dataStart, tensors, metadata, copy);
            }

            var map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            MemoryMappedViewAccessor? view = null;
            try
            {
                view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                byte* p = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                p += view.PointerOffset;
                return new SafetensorsFile(path, length, map, view, p, dataStart, tensors, metadata);
            }
            catch
            {
                view?.Dispose();
                map.Dispose();
                throw;
            }
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The whole file (header included, so offsets are the file's) in a <see cref="LargePageBuffer"/>, read by one
    /// thread per core over contiguous pieces: most of a load is the kernel zeroing fresh 2 MiB pages on first touch,
    /// which then runs on every core (3.2 GB: 6.7 s on one thread).
    /// </summary>
    private static LargePageBuffer ReadWhole(string path, FileStream fs, long length)
    {
        var buf = new LargePageBuffer(length);
        try
        {
            const int Piece = 64 << 20;
            long pieces = (length + Piece - 1) / Piece;
            var handle = fs.SafeFileHandle;
            Parallel.For(0L, pieces, new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(Environment.ProcessorCount, 1, 8) }, i =>
            {
                long start = i * Piece, end = Math.Min(length, start + Piece);
                for (long off = start; off < end;)
                {
                    int n = RandomAccess.Read(handle, buf.Span(off, (int)(end - off)), off);
                    if (n == 0)
                        throw new CheckpointFormatException(path, null, $"file ended at byte {off} while reading {length} bytes: it was truncated while loading");
                    off += n;
                }
            });
            return buf;
        }
        catch (AggregateException e) when (e.InnerException is CheckpointFormatException cfe)
        {
            buf.Dispose();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cfe);
            throw;
        }
        catch
        {
            buf.Dispose();
            throw;
        }
    }

    internal static (Dictionary<string, TensorInfo>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataStart, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, $"header is not well-formed JSON: {e.Message}");
        }

        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, null, "header JSON is not an object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new CheckpointFormatException(path, null, "__metadata__ is not an object of strings");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new CheckpointFormatException(path, null, $"__metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (tensors.ContainsKey(prop.Name))
                    throw new CheckpointFormatException(path, prop.Name, "appears twice in the header");
                tensors.Add(prop.Name, ParseEntry(path, prop.Name, prop.Value, dataStart, dataLength));
            }
        }

        // No two tensors may share bytes.
        var byOffset = tensors.Values.Where(t => t.ByteLength > 0).OrderBy(t => t.Offset).ToArray();
        for (int i = 1; i < byOffset.Length; i++)
        {
            var prev = byOffset[i - 1];
            var cur = byOffset[i];
            if (cur.Offset < prev.Offset + prev.ByteLength)
                throw new CheckpointFormatException(path, cur.Name,
                    $"data_offsets [{cur.Offset - dataStart}, {cur.Offset - dataStart + cur.ByteLength}] overlap tensor '{prev.Name}' [{prev.Offset - dataStart}, {prev.Offset - dataStart + prev.ByteLength}]");
        }
        return (tensors, metadata);
    }

    private static TensorInfo ParseEntry(string path, string name, JsonElement e, long dataStart, long dataLength)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(path, name, "header entry is not an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new CheckpointFormatException(path, name, "missing 'dtype'");
        string dtypeName = dt.GetString()!;
        if (!DTypes.TryParse(dtypeName, out var dtype))
            throw new CheckpointFormatException(path, name, $"unknown dtype '{dtypeName}' (supported: F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, U8, BOOL)");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new CheckpointFormatException(path, name, "missing 'shape'");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw new CheckpointFormatException(path, name, $"shape {sh.GetRawText()} has an invalid dimension");
            shape[i++] = v;
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new CheckpointFormatException(path, name, "missing or malformed 'data_offsets' (expected [begin, end])");
        long begin, end;
        try
        {
            begin = off[0].GetInt64();
            end = off[1].GetInt64();
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            throw new CheckpointFormatException(path, name, $"data_offsets {off.GetRawText()} are not integers");
        }
        if (begin < 0 || end < begin)
            throw new CheckpointFormatException(path, name, $"data_offsets [{begin}, {end}] are invalid (begin must be >= 0 and <= end)");
        if (end > dataLength)
            throw new CheckpointFormatException(path, name, $"data_offsets [{begin}, {end}] lie outside the data area of {dataLength} bytes: the file is truncated or corrupt");

        long elements = 1;
        try
        {
            foreach (var d in shape) elements = checked(elements * d);
            long expected = checked(elements * DTypes.SizeOf(dtype));
            if (expected != end - begin)
                throw new CheckpointFormatException(path, name,
                    $"byte length {end - begin} does not match shape [{string.Join(", ", shape)}] x {dtypeName} ({expected} bytes)");
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException(path, name, $"shape [{string.Join(", ", shape)}] is too large");
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public TensorInfo Info(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new CheckpointFormatException(Path, name, $"missing tensor (the file has {_tensors.Count} tensors)");

    /// <summary>Zero-copy view of a tensor's bytes.</summary>
    public ReadOnlySpan<byte> GetBytes(TensorInfo t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckOwned(t);
        if (t.ByteLength == 0) return ReadOnlySpan<byte>.Empty;
        if (t.ByteLength > int.MaxValue) throw new DssException($"{Path}: tensor '{t.Name}' is larger than 2 GiB; use GetPointer");
        return new ReadOnlySpan<byte>(_base + t.Offset, (int)t.ByteLength);
    }

    public ReadOnlySpan<byte> GetBytes(string name) => GetBytes(Info(name));

    /// <summary>Pointer into the mapping (valid while this file is open).</summary>
    public byte* GetPointer(TensorInfo t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckOwned(t);
        return t.ByteLength == 0 ? null : _base + t.Offset;
    }

    /// <summary>A TensorInfo from another file would point anywhere in this mapping: refuse it.</summary>
    private void CheckOwned(TensorInfo t)
    {
        if (!_tensors.TryGetValue(t.Name, out var own) || own.Offset != t.Offset || own.ByteLength != t.ByteLength)
            throw new ArgumentException($"{Path}: tensor info '{t.Name}' does not belong to this file", nameof(t));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
        _resident?.Dispose();
    }
}
