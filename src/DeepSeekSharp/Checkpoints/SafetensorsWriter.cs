using System.Text.Encodings.Web;
using System.Text.Json;

namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// Writes safetensors files readable by <see cref="SafetensorsFile"/> and by the Hugging Face library.
/// Tensors are laid out in a deterministic order (larger element size first, then by ordinal name), so every
/// tensor is aligned to its element size; the JSON header is padded with spaces to a multiple of 8 bytes.
/// Files are written atomically (see <see cref="AtomicFile"/>).
/// </summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<SafetensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = Order(tensors);
        AtomicFile.Write(path, s => WriteTo(s, path, ordered, metadata));
    }

    /// <summary>In-memory tensors: (name, dtype, shape, bytes).</summary>
    public static void Write(string path, IEnumerable<(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(t => SafetensorsEntry.FromBytes(t.Name, t.DType, t.Shape, t.Data)), metadata);

    /// <summary>The order tensors are stored in: element size descending, then name (ordinal). Rejects duplicate names.</summary>
    public static IReadOnlyList<SafetensorsEntry> Order(IEnumerable<SafetensorsEntry> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (!seen.Add(t.Name)) throw new ArgumentException($"tensor '{t.Name}' is given twice", nameof(tensors));
        }
        return list.OrderByDescending(t => DTypes.SizeOf(t.DType)).ThenBy(t => t.Name, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Writes header and data of already ordered tensors; <paramref name="path"/> only names the file in errors.</summary>
    internal static void WriteTo(Stream dst, string path, IReadOnlyList<SafetensorsEntry> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        byte[] header = BuildHeader(ordered, metadata);
        Span<byte> len = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        dst.Write(len);
        dst.Write(header);
        foreach (var t in ordered)
        {
            var slot = new ExactLengthStream(dst, t.ByteLength, path, t.Name);
            t.WriteData(slot);
            if (slot.Written != t.ByteLength)
                throw new CheckpointFormatException(path, t.Name, $"the data callback wrote {slot.Written} bytes but shape [{string.Join(", ", t.Shape)}] x {t.DType} needs {t.ByteLength}");
        }
    }

    /// <summary>The JSON header, padded with spaces so that the data area starts at a multiple of 8.</summary>
    internal static byte[] BuildHeader(IReadOnlyList<SafetensorsEntry> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in ordered)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", DTypes.Name(t.DType));
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.ByteLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.ByteLength;
            }
            w.WriteEndObject();
        }
        int n = (int)ms.Length;
        int padded = (n + 7) / 8 * 8;
        for (int i = n; i < padded; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }
}
