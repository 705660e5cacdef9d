using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Tests;

/// <summary>The GGUF writer and reader on their own: metadata of every type, alignment, Q8_0, atomic writes, corrupt files.</summary>
public class GgufFormatTests
{
    [Fact]
    public void MetadataOfEveryTypeRoundTrips()
    {
        using var tmp = new Fixtures.TempDir();
        var w = new GgufWriter();
        w.Set("a.u8", new GgufValue(GgufValueType.UInt8, (byte)200));
        w.Set("a.i8", new GgufValue(GgufValueType.Int8, (sbyte)-5));
        w.Set("a.u16", new GgufValue(GgufValueType.UInt16, (ushort)65000));
        w.Set("a.i16", new GgufValue(GgufValueType.Int16, (short)-32000));
        w.Set("a.u32", GgufValue.U32(4_000_000_000));
        w.Set("a.i32", GgufValue.I32(-7));
        w.Set("a.f32", GgufValue.F32(2.5f));
        w.Set("a.bool", GgufValue.Bool(true));
        w.Set("a.str", GgufValue.Str("héllo ▁ world"));
        w.Set("a.u64", new GgufValue(GgufValueType.UInt64, 1UL << 40));
        w.Set("a.i64", new GgufValue(GgufValueType.Int64, -(1L << 40)));
        w.Set("a.f64", new GgufValue(GgufValueType.Float64, Math.PI));
        w.Set("a.strs", GgufValue.Strings(new[] { "x", "", "Ġthe" }));
        w.Set("a.i32s", GgufValue.I32s(new[] { 1, -2, 3 }));
        w.Set("a.f32s", GgufValue.F32s(new[] { 0.5f, -1f }));
        w.Set("a.i32", GgufValue.I32(-8)); // replaces, keeps one key
        w.AddTensor("t", new long[] { 3 }, GgmlType.F32, s => s.WriteRow(new float[] { 1, 2, 3 }));
        string path = tmp.File("m.gguf");
        w.Write(path);

        using var r = GgufReader.Open(path);
        Assert.Equal(3u, r.Version);
        Assert.Equal(32, r.Alignment);
        Assert.Equal(16, r.Metadata.Count); // 15 keys + general.alignment
        Assert.Equal((byte)200, r.Get("a.u8").Value);
        Assert.Equal((sbyte)-5, r.Get("a.i8").Value);
        Assert.Equal((ushort)65000, r.Get("a.u16").Value);
        Assert.Equal((short)-32000, r.Get("a.i16").Value);
        Assert.Equal(4_000_000_000L, r.GetInteger("a.u32"));
        Assert.Equal(-8L, r.GetInteger("a.i32"));
        Assert.Equal(2.5, r.GetDouble("a.f32"));
        Assert.Equal(true, r.Get("a.bool").Value);
        Assert.Equal("héllo ▁ world", r.GetString("a.str"));
        Assert.Equal(1L << 40, r.GetInteger("a.u64"));
        Assert.Equal(-(1L << 40), r.GetInteger("a.i64"));
        Assert.Equal(Math.PI, r.GetDouble("a.f64"));
        Assert.Equal(new[] { "x", "", "Ġthe" }, r.GetArray<string>("a.strs"));
        Assert.Equal(new[] { 1, -2, 3 }, r.GetArray<int>("a.i32s"));
        Assert.Equal(new[] { 0.5f, -1f }, r.GetArray<float>("a.f32s"));
        Assert.Equal(new float[] { 1, 2, 3 }, r.ReadF32("t"));
    }

    [Fact]
    public void EveryTensorStartsAligned()
    {
        using var tmp = new Fixtures.TempDir();
        var w = new GgufWriter();
        var rnd = new Random(1);
        var shapes = new[] { new long[] { 5 }, new long[] { 3, 7 }, new long[] { 64, 3 }, new long[] { 32, 2, 3 } };
        var types = new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0 };
        var data = new Dictionary<string, float[]>();
        for (int i = 0; i < shapes.Length; i++)
        {
            var dims = shapes[i];
            long n = dims.Aggregate(1L, (a, d) => a * d);
            var v = Enumerable.Range(0, (int)n).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray();
            string name = $"t{i}";
            data[name] = v;
            w.AddTensor(name, dims, types[i], s =>
            {
                for (int row = 0; row < n / dims[0]; row++) s.WriteRow(v.AsSpan(row * (int)dims[0], (int)dims[0]));
            });
        }
        string path = tmp.File("a.gguf");
        w.Write(path);
        using var r = GgufReader.Open(path);
        Assert.Equal(0, r.DataStart % 32);
        for (int i = 0; i < shapes.Length; i++)
        {
            var t = r.Info($"t{i}");
            Assert.Equal(shapes[i], t.Dims);
            Assert.Equal(types[i], t.Type);
            Assert.Equal(0, t.Offset % 32);
            var back = r.ReadF32(t.Name);
            double tol = types[i] switch { GgmlType.F32 => 0, GgmlType.F16 => 1e-3, GgmlType.BF16 => 4e-3, _ => 1.0 / 127 * 0.6 };
            for (int j = 0; j < back.Length; j++) Assert.True(Math.Abs(back[j] - data[t.Name][j]) <= tol, $"{t.Name}[{j}]: {back[j]} vs {data[t.Name][j]}");
        }
        // The file ends exactly after the last tensor's padded data.
        var last = r.Tensors[^1];
        Assert.Equal(r.DataStart + (last.Offset + last.ByteLength + 31) / 32 * 32, new FileInfo(path).Length);
    }

    [Fact]
    public void Q8_0MatchesTheGgmlDefinition()
    {
        var x = new float[64];
        for (int i = 0; i < 32; i++) x[i] = (i - 16) * 0.25f; // amax 4 -> d = 4/127
        // second block all zero: d = 0, q = 0
        var q = new byte[2 * Q8_0.BlockBytes];
        Q8_0.Quantize(x, q);
        Assert.Equal((Half)(4f / 127f), BitConverter.ToHalf(q, 0));
        Assert.Equal(unchecked((byte)(sbyte)-127), q[2]);            // -4 -> -127
        Assert.Equal(0, q[2 + 16]);                                    // 0
        Assert.Equal((byte)32, q[2 + 20]);                             // 1.0 * 127/4 = 31.75 -> 32
        Assert.All(q.Skip(Q8_0.BlockBytes), b => Assert.Equal(0, b));
        var back = new float[64];
        Q8_0.Dequantize(q, back);
        float d = (float)(Half)(4f / 127f);
        for (int i = 0; i < 64; i++) Assert.True(Math.Abs(back[i] - x[i]) <= d * 0.5f + 127 * Math.Abs(d - 4f / 127f) + 1e-6f, $"{i}: {back[i]} vs {x[i]}");
        Assert.Throws<ArgumentException>(() => Q8_0.Quantize(new float[31], new byte[34]));
    }

    [Fact]
    public void AFailedWriteLeavesNoFileBehind()
    {
        using var tmp = new Fixtures.TempDir();
        string path = tmp.File("x.gguf");
        File.WriteAllText(path, "previous");
        var w = new GgufWriter();
        w.AddTensor("a", new long[] { 4, 2 }, GgmlType.F32, s => s.WriteRow(new float[4])); // one row short
        var e = Assert.Throws<InvalidOperationException>(() => w.Write(path));
        Assert.Contains("wrote 1 rows", e.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void DeclarationErrorsAreClear()
    {
        var w = new GgufWriter();
        w.AddTensor("a", new long[] { 32 }, GgmlType.Q8_0, _ => { });
        Assert.Contains("declared twice", Assert.Throws<DssException>(() => w.AddTensor("a", new long[] { 32 }, GgmlType.F32, _ => { })).Message);
        Assert.Contains("whole number of Q8_0 blocks", Assert.Throws<DssException>(() => w.AddTensor("b", new long[] { 48 }, GgmlType.Q8_0, _ => { })).Message);
        Assert.Contains("longer than 63", Assert.Throws<DssException>(() => w.AddTensor(new string('n', 64), new long[] { 1 }, GgmlType.F32, _ => { })).Message);
    }

    [Fact]
    public void TruncatedAndForeignFilesAreRejected()
    {
        using var tmp = new Fixtures.TempDir();
        var w = new GgufWriter();
        w.Set("k", GgufValue.Str("v"));
        w.AddTensor("t", new long[] { 1000 }, GgmlType.F32, s => s.WriteRow(new float[1000]));
        string path = tmp.File("ok.gguf");
        w.Write(path);
        var bytes = File.ReadAllBytes(path);

        string cut = tmp.File("cut.gguf");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 100)]);
        Assert.Contains("runs past the end", Assert.Throws<CheckpointFormatException>(() => GgufReader.Open(cut)).Message);

        string header = tmp.File("header.gguf");
        File.WriteAllBytes(header, bytes[..30]);
        Assert.Throws<CheckpointFormatException>(() => GgufReader.Open(header));

        string foreign = tmp.File("foreign.gguf");
        File.WriteAllBytes(foreign, new byte[] { 1, 2, 3, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
        Assert.Contains("not a GGUF file", Assert.Throws<CheckpointFormatException>(() => GgufReader.Open(foreign)).Message);
    }
}
