using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly Fixtures.TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>One tensor of every dtype, with odd sizes so that a naive layout would misalign the wide types.</summary>
    private static List<SafetensorsEntry> AllDtypes()
    {
        var f32 = new float[] { 1.5f, -2.25f, float.MaxValue, float.Epsilon, -0f, 3e-20f };
        var f16 = new Half[] { (Half)1.5f, (Half)(-65504f), Half.Epsilon, (Half)0.333f, (Half)(-0f) };
        var bf16 = new[] { 1.5f, -3.140625f, 1e30f, -0f, 6.1035156e-05f }.Select(BFloat16.FromSingle).ToArray();
        var e4 = new byte[] { 0x00, 0x01, 0x7E, 0xFE, 0x80, 0x38, 0x3A };
        var e5 = new byte[] { 0x00, 0x7B, 0x7C, 0xFC, 0x01, 0x3C, 0x3D };
        var i64 = new long[] { long.MinValue, -1, 0, 1, long.MaxValue, 1L << 40 };
        var i32 = new int[] { int.MinValue, -7, 0, 9, int.MaxValue, 12, 13, 14, 15 };
        var u8 = RandomBytes(13, 1);
        var bools = new bool[] { true, false, false, true, true };
        return
        [
            SafetensorsEntry.FromArray("t.f32", DType.F32, [2, 3], f32),
            SafetensorsEntry.FromArray("t.f16", DType.F16, [5], f16),
            SafetensorsEntry.FromArray("t.bf16", DType.BF16, [5, 1], bf16),
            SafetensorsEntry.FromArray("t.e4m3", DType.F8_E4M3, [7], e4),
            SafetensorsEntry.FromArray("t.e5m2", DType.F8_E5M2, [1, 7], e5),
            SafetensorsEntry.FromArray("t.i64", DType.I64, [3, 2], i64),
            SafetensorsEntry.FromArray("t.i32", DType.I32, [3, 3], i32),
            SafetensorsEntry.FromArray("t.u8", DType.U8, [13], u8),
            SafetensorsEntry.FromArray("t.bool", DType.BOOL, [5], bools),
        ];
    }

    private static byte[] BytesOf(SafetensorsEntry e)
    {
        using var ms = new MemoryStream();
        e.WriteData(ms);
        return ms.ToArray();
    }

    [Fact]
    public void RoundTripsAllNineDtypesWithMetadataAndAlignment()
    {
        string path = _tmp.File("all.safetensors");
        var entries = AllDtypes();
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo \"quoted\" <x>" };
        SafetensorsWriter.Write(path, entries, meta);

        using var f = SafetensorsFile.Open(path);
        Assert.Equal(meta, f.Metadata.ToDictionary());
        Assert.Equal(9, f.Tensors.Count);
        Assert.Equal(0, f.DataStart % 8);
        Assert.Equal(f.DataStart + entries.Sum(e => e.ByteLength), f.FileLength);
        foreach (var e in entries)
        {
            var t = f.Info(e.Name);
            Assert.Equal(e.DType, t.DType);
            Assert.Equal(e.Shape, t.Shape);
            Assert.Equal(0, (t.Offset - f.DataStart) % DTypes.SizeOf(t.DType));
            Assert.Equal(BytesOf(e), f.GetBytes(t).ToArray());
        }
        // Typed reads agree with the values written.
        Assert.Equal([1.5f, -2.25f, float.MaxValue, float.Epsilon, -0f, 3e-20f], f.ReadF32("t.f32"));
        Assert.Equal([1.5f, -3.140625f, BFloat16.Round(1e30f), -0f, 6.1035156e-05f], f.ReadF32("t.bf16"));
        Assert.Equal([1.5f, -65504f, (float)Half.Epsilon, (float)(Half)0.333f, -0f], f.ReadF32("t.f16"));
        Assert.Equal([0f, 0.001953125f, 448f, -448f, -0f, 1f, 1.25f], f.ReadF32("t.e4m3"));
        Assert.Equal([0f, 57344f, float.PositiveInfinity, float.NegativeInfinity, 1.5258789e-05f, 1f, 1.25f], f.ReadF32("t.e5m2"));
        Assert.Equal([int.MinValue, -7, 0, 9, int.MaxValue, 12, 13, 14, 15], f.ReadI32("t.i32"));
        Assert.Equal(new byte[] { 1, 0, 0, 1, 1 }, f.GetBytes("t.bool").ToArray());
        Assert.Equal(new[] { long.MinValue, -1, 0, 1, long.MaxValue, 1L << 40 }, MemoryMarshal.Cast<byte, long>(f.GetBytes("t.i64")).ToArray());
        var i64Error = Assert.Throws<CheckpointFormatException>(() => f.ReadI32("t.i64"));
        Assert.Equal($"{path}: tensor 't.i64': element 0 = {long.MinValue} does not fit in a 32-bit integer", i64Error.Message);
    }

    [Fact]
    public void HeaderIsSpacePaddedJsonInDeterministicOrder()
    {
        string a = _tmp.File("a.safetensors"), b = _tmp.File("b.safetensors");
        var entries = AllDtypes();
        SafetensorsWriter.Write(a, entries);
        var shuffled = entries.ToList();
        shuffled.Reverse();
        SafetensorsWriter.Write(b, shuffled);
        var bytes = File.ReadAllBytes(a);
        Assert.Equal(bytes, File.ReadAllBytes(b));

        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        Assert.Matches("} *$", header);
        using var doc = JsonDocument.Parse(header);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        // Widest dtype first (keeps every tensor aligned), then ordinal name.
        Assert.Equal(["t.i64", "t.f32", "t.i32", "t.bf16", "t.f16", "t.bool", "t.e4m3", "t.e5m2", "t.u8"], names);
        Assert.Equal("[0,48]", doc.RootElement.GetProperty("t.i64").GetProperty("data_offsets").GetRawText());
    }

    [Fact]
    public void TupleOverloadAndEmptyAndScalarTensors()
    {
        string path = _tmp.File("tuple.safetensors");
        SafetensorsWriter.Write(path, new (string, DType, long[], ReadOnlyMemory<byte>)[]
        {
            ("scalar", DType.F32, [], BitConverter.GetBytes(2.5f)),
            ("empty", DType.BF16, [0, 4], ReadOnlyMemory<byte>.Empty),
        });
        using var f = SafetensorsFile.Open(path);
        Assert.Equal([2.5f], f.ReadF32("scalar"));
        Assert.Empty(f.Info("scalar").Shape);
        Assert.Equal(new long[] { 0, 4 }, f.Info("empty").Shape);
        Assert.Equal(0, f.GetBytes("empty").Length);
        Assert.Empty(f.Metadata);
    }

    [Fact]
    public void StreamingCallbackWritesLargeTensorInChunks()
    {
        string path = _tmp.File("big.safetensors");
        const int rows = 1024, cols = 1000; // 4 MB of F32, produced a row at a time
        var entry = new SafetensorsEntry("big", DType.F32, [rows, cols], s =>
        {
            var row = new float[cols];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++) row[c] = r * 0.5f - c;
                s.Write(MemoryMarshal.AsBytes(row.AsSpan()));
            }
        });
        var small = SafetensorsEntry.FromArray("small", DType.U8, [3], new byte[] { 9, 8, 7 });
        SafetensorsWriter.Write(path, [small, entry]);
        using var f = SafetensorsFile.Open(path);
        var big = MemoryMarshal.Cast<byte, float>(f.GetBytes("big"));
        Assert.Equal(rows * cols, big.Length);
        Assert.Equal(0f, big[0]);
        Assert.Equal(511.5f - 999f, big[rows * cols - 1]);
        Assert.Equal(7 * 0.5f - 3f, big[7 * cols + 3]);
        Assert.Equal(new byte[] { 9, 8, 7 }, f.GetBytes("small").ToArray());
    }

    private void AssertNoTempFiles() => Assert.Empty(Directory.GetFiles(_tmp.Path, "*.tmp-*"));

    [Fact]
    public void FailedWriteLeavesNoPartialTargetFile()
    {
        string path = _tmp.File("fail.safetensors");
        var entries = new List<SafetensorsEntry>
        {
            SafetensorsEntry.FromArray("ok", DType.F32, [4], new float[4]),
            new("boom", DType.U8, [1 << 20], s =>
            {
                s.Write(new byte[1000]);
                throw new IOException("disk on fire");
            }),
        };
        var e = Assert.Throws<IOException>(() => SafetensorsWriter.Write(path, entries));
        Assert.Equal("disk on fire", e.Message);
        Assert.False(File.Exists(path));
        AssertNoTempFiles();
    }

    [Fact]
    public void FailedOverwriteKeepsTheOldFile()
    {
        string path = _tmp.File("keep.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsEntry.FromArray("v", DType.I32, [2], new[] { 1, 2 })]);
        var before = File.ReadAllBytes(path);
        Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path,
            [new SafetensorsEntry("v", DType.I32, [2], _ => throw new InvalidOperationException("no"))]));
        Assert.Equal(before, File.ReadAllBytes(path));
        AssertNoTempFiles();

        SafetensorsWriter.Write(path, [SafetensorsEntry.FromArray("v", DType.I32, [2], new[] { 3, 4 })]);
        using var f = SafetensorsFile.Open(path);
        Assert.Equal([3, 4], f.ReadI32("v"));
    }

    [Theory]
    [InlineData(3, "the data callback wrote 3 bytes but shape [2] x F32 needs 8")]
    [InlineData(9, "the data callback wrote more than the 8 bytes its shape and dtype need")]
    public void CallbackWritingWrongByteCountFails(int written, string problem)
    {
        string path = _tmp.File("count.safetensors");
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsWriter.Write(path,
            [new SafetensorsEntry("w", DType.F32, [2], s => s.Write(new byte[written]))]));
        Assert.Equal($"{path}: tensor 'w': {problem}", e.Message);
        Assert.False(File.Exists(path));
        AssertNoTempFiles();
    }

    [Fact]
    public void InvalidEntriesAreRefused()
    {
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(_tmp.File("d.safetensors"),
            [SafetensorsEntry.FromArray("x", DType.U8, [1], new byte[1]), SafetensorsEntry.FromArray("x", DType.U8, [1], new byte[1])])).Message);
        Assert.Contains("needs 8", Assert.Throws<ArgumentException>(() => SafetensorsEntry.FromBytes("x", DType.F32, [2], new byte[7])).Message);
        Assert.Contains("does not have the size of F32", Assert.Throws<ArgumentException>(() => SafetensorsEntry.FromArray("x", DType.F32, [1], new double[1])).Message);
        Assert.Contains("negative dimension", Assert.Throws<ArgumentException>(() => SafetensorsEntry.FromArray("x", DType.U8, [-1], new byte[1])).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => SafetensorsEntry.FromArray("__metadata__", DType.U8, [1], new byte[1])).Message);
        Assert.False(File.Exists(_tmp.File("d.safetensors")));
    }

    [Fact]
    public void RewritesFixtureModelByteForByteInTensorContent()
    {
        string src = Path.Combine(Fixtures.Dir("v3-fp8-tiny"), "model.safetensors");
        string dst = _tmp.File("copy.safetensors");
        using (var f = SafetensorsFile.Open(src))
        {
            var entries = f.Tensors.Values.Select(t => SafetensorsEntry.FromBytes(t.Name, t.DType, t.Shape, f.GetBytes(t).ToArray())).ToList();
            SafetensorsWriter.Write(dst, entries, f.Metadata.ToDictionary());
        }
        using var a = SafetensorsFile.Open(src);
        using var b = SafetensorsFile.Open(dst);
        Assert.Equal(a.Tensors.Keys.Order(StringComparer.Ordinal), b.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(a.Metadata.ToDictionary(), b.Metadata.ToDictionary());
        foreach (var t in a.Tensors.Values)
        {
            Assert.Equal(t.Shape, b.Info(t.Name).Shape);
            Assert.True(a.GetBytes(t).SequenceEqual(b.GetBytes(t.Name)), t.Name);
        }
    }
}
