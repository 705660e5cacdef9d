using System.Buffers.Binary;
using System.Text;
using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Tests;

/// <summary>Every way a safetensors file can be corrupt, each with its own error naming the file (and tensor).</summary>
public sealed class SafetensorsCorruptTests : IDisposable
{
    private readonly Fixtures.TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>Writes u64 header length + header + data bytes; <paramref name="declaredLength"/> overrides the length field.</summary>
    private string Write(string header, int dataBytes, ulong? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        for (int i = 0; i < dataBytes; i++) bytes[8 + h.Length + i] = (byte)(i * 7 + 1);
        string path = _tmp.File($"t{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static CheckpointFormatException Fails(string path, string? tensor)
    {
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.File);
        Assert.Equal(tensor, e.Tensor);
        return e;
    }

    [Fact]
    public void FileShorterThan8Bytes()
    {
        string path = _tmp.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
        var e = Fails(path, null);
        Assert.Equal($"{path}: file is 5 bytes, too short for the 8-byte header length", e.Message);
    }

    [Fact]
    public void EmptyFile()
    {
        string path = _tmp.File("empty.safetensors");
        File.WriteAllBytes(path, []);
        Assert.Equal($"{path}: file is 0 bytes, too short for the 8-byte header length", Fails(path, null).Message);
    }

    [Fact]
    public void HeaderLengthLongerThanFile()
    {
        string path = Write("{}", 0, declaredLength: 1000);
        var e = Fails(path, null);
        Assert.Equal($"{path}: header length 1000 runs past the end of the file (10 bytes): the file is truncated or corrupt", e.Message);
    }

    [Theory]
    [InlineData(100UL * 1024 * 1024 + 1)]
    [InlineData(ulong.MaxValue)]
    [InlineData(0x8000_0000_0000_0000UL)]
    public void HeaderLengthAboveSaneLimit(ulong declared)
    {
        string path = Write("{}", 0, declaredLength: declared);
        var e = Fails(path, null);
        Assert.Equal($"{path}: header length {declared} exceeds the limit of {SafetensorsFile.MaxHeaderBytes} bytes", e.Message);
    }

    [Theory]
    [InlineData("{\"w\": ")]
    [InlineData("{\"w\": {\"dtype\": \"F32\",}}")]
    [InlineData("not json")]
    [InlineData("\u00ff\u00fe")]
    public void MalformedJson(string header)
    {
        string path = Write(header, 0);
        var e = Fails(path, null);
        Assert.StartsWith($"{path}: header is not well-formed JSON: ", e.Message);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public void HeaderNotAnObject(string header)
    {
        string path = Write(header, 0);
        Assert.Equal($"{path}: header JSON is not an object", Fails(path, null).Message);
    }

    [Fact]
    public void EntryNotAnObject()
    {
        string path = Write("{\"w\": [1]}", 0);
        Assert.Equal($"{path}: tensor 'w': header entry is not an object", Fails(path, "w").Message);
    }

    [Fact]
    public void UnknownDtype()
    {
        string path = Write("{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8);
        var e = Fails(path, "w");
        Assert.Equal($"{path}: tensor 'w': unknown dtype 'F64' (supported: F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, U8, BOOL)", e.Message);
    }

    [Theory]
    [InlineData("{\"w\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", "missing 'dtype'")]
    [InlineData("{\"w\": {\"dtype\": 3, \"shape\": [2], \"data_offsets\": [0, 8]}}", "missing 'dtype'")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 8]}}", "missing 'shape'")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": 2, \"data_offsets\": [0, 8]}}", "missing 'shape'")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}", "missing or malformed 'data_offsets' (expected [begin, end])")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0]}}", "missing or malformed 'data_offsets' (expected [begin, end])")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, \"8\"]}}", "data_offsets [0, \"8\"] are not integers")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8.5]}}", "data_offsets [0, 8.5] are not integers")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", "shape [-2] has an invalid dimension")]
    [InlineData("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, \"x\"], \"data_offsets\": [0, 8]}}", "shape [2, \"x\"] has an invalid dimension")]
    public void MissingOrMalformedFields(string header, string problem)
    {
        string path = Write(header, 8);
        Assert.Equal($"{path}: tensor 'w': {problem}", Fails(path, "w").Message);
    }

    [Fact]
    public void DataOffsetsOutsideDataAreaTruncatedFile()
    {
        // Header promises 16 bytes, only 8 are there.
        string path = Write("{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8);
        var e = Fails(path, "w");
        Assert.Equal($"{path}: tensor 'w': data_offsets [0, 16] lie outside the data area of 8 bytes: the file is truncated or corrupt", e.Message);
    }

    [Theory]
    [InlineData(8, 4)]
    [InlineData(-4, 4)]
    public void BeginAfterEndOrNegative(int begin, int end)
    {
        string path = Write($"{{\"w\": {{\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [{begin}, {end}]}}}}", 16);
        var e = Fails(path, "w");
        Assert.Equal($"{path}: tensor 'w': data_offsets [{begin}, {end}] are invalid (begin must be >= 0 and <= end)", e.Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        string path = Write("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}," +
                            " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12);
        var e = Fails(path, "b");
        Assert.Equal($"{path}: tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]", e.Message);
    }

    [Fact]
    public void TensorInsideAnotherTensor()
    {
        // 'inner' lies wholly inside 'outer' and is listed first in the header.
        string path = Write("{\"inner\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [4, 6]}," +
                            " \"outer\": {\"dtype\": \"U8\", \"shape\": [16], \"data_offsets\": [0, 16]}}", 16);
        var e = Fails(path, "inner");
        Assert.Equal($"{path}: tensor 'inner': data_offsets [4, 6] overlap tensor 'outer' [0, 16]", e.Message);
    }

    [Theory]
    [InlineData("F32", "[3]", 8, "byte length 8 does not match shape [3] x F32 (12 bytes)")]
    [InlineData("BF16", "[2, 3]", 8, "byte length 8 does not match shape [2, 3] x BF16 (12 bytes)")]
    [InlineData("I64", "[]", 4, "byte length 4 does not match shape [] x I64 (8 bytes)")]
    public void ByteLengthNotShapeTimesDtypeSize(string dtype, string shape, int bytes, string problem)
    {
        string path = Write($"{{\"w\": {{\"dtype\": \"{dtype}\", \"shape\": {shape}, \"data_offsets\": [0, {bytes}]}}}}", 16);
        Assert.Equal($"{path}: tensor 'w': {problem}", Fails(path, "w").Message);
    }

    [Fact]
    public void ShapeOverflow()
    {
        string path = Write("{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 8]}}", 8);
        Assert.Equal($"{path}: tensor 'w': shape [4294967296, 4294967296] is too large", Fails(path, "w").Message);
    }

    [Fact]
    public void DuplicateTensorName()
    {
        string path = Write("{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}," +
                            " \"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [4, 8]}}", 8);
        Assert.Equal($"{path}: tensor 'w': appears twice in the header", Fails(path, "w").Message);
    }

    [Theory]
    [InlineData("{\"__metadata__\": [1]}", "__metadata__ is not an object of strings")]
    [InlineData("{\"__metadata__\": {\"format\": 1}}", "__metadata__ value 'format' is not a string")]
    public void MalformedMetadata(string header, string problem)
    {
        string path = Write(header, 0);
        Assert.Equal($"{path}: {problem}", Fails(path, null).Message);
    }

    [Fact]
    public void MissingTensorLookup()
    {
        string path = Write("{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4);
        using var f = SafetensorsFile.Open(path);
        var e = Assert.Throws<CheckpointFormatException>(() => f.Info("nope"));
        Assert.Equal(path, e.File);
        Assert.Equal("nope", e.Tensor);
        Assert.Equal($"{path}: tensor 'nope': missing tensor (the file has 1 tensors)", e.Message);
        Assert.Throws<CheckpointFormatException>(() => f.GetBytes("nope").Length);
    }

    [Fact]
    public void MissingFile()
    {
        string path = _tmp.File("absent.safetensors");
        var e = Assert.Throws<DssException>(() => SafetensorsFile.Open(path));
        Assert.Equal($"{path}: file not found", e.Message);
    }

    [Fact]
    public void ValidHandWrittenFileReadsBackWithPaddingGapsAndEmptyTensors()
    {
        // Header padded with spaces; an empty tensor; a scalar; tensors not in header order.
        string path = Write("{\"__metadata__\": {\"format\": \"pt\"}, \"b\": {\"dtype\": \"U8\", \"shape\": [2, 2], \"data_offsets\": [4, 8]}," +
                            " \"e\": {\"dtype\": \"F32\", \"shape\": [0, 5], \"data_offsets\": [8, 8]}," +
                            " \"s\": {\"dtype\": \"I32\", \"shape\": [], \"data_offsets\": [0, 4]}}     ", 8);
        using var f = SafetensorsFile.Open(path);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(3, f.Tensors.Count);
        Assert.Equal(new byte[] { 29, 36, 43, 50 }, f.GetBytes("b").ToArray());
        Assert.Equal(0, f.GetBytes("e").Length);
        Assert.Equal([1 | 8 << 8 | 15 << 16 | 22 << 24], f.ReadI32("s"));
        Assert.Equal(DType.U8, f.Info("b").DType);
        Assert.Equal("[2, 2]", f.Info("b").ShapeString);
    }

    [Fact]
    public void DisposedFileRefusesAccessAndDisposeTwiceIsHarmless()
    {
        string path = Write("{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4);
        var f = SafetensorsFile.Open(path);
        var info = f.Info("w");
        f.Dispose();
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.GetBytes(info).Length);
    }

    [Fact]
    public void TensorInfoOfAnotherFileIsRefused()
    {
        string a = Write("{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4);
        string b = Write("{\"w\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [2, 4]}}", 4);
        using var fa = SafetensorsFile.Open(a);
        using var fb = SafetensorsFile.Open(b);
        Assert.Throws<ArgumentException>(() => fa.GetBytes(fb.Info("w")).Length);
    }

    [Fact]
    public void OpensFixtureModel()
    {
        using var f = SafetensorsFile.Open(Path.Combine(Fixtures.Dir("v3-tiny"), "model.safetensors"));
        var t = f.Info("model.embed_tokens.weight");
        Assert.Equal(DType.BF16, t.DType);
        Assert.Equal(new long[] { 1024, 64 }, t.Shape);
        Assert.Equal(1024 * 64 * 2, f.GetBytes(t).Length);
    }
}
