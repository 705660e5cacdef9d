using System.Text;
using System.Text.Json;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly Fixtures.TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>Six F32 tensors of 64 bytes each (a.0 .. a.5) with distinct values.</summary>
    private static List<SafetensorsEntry> SixTensors() =>
        Enumerable.Range(0, 6).Select(i => SafetensorsEntry.FromArray($"a.{i}", DType.F32, [4, 4],
            Enumerable.Range(0, 16).Select(j => i * 100f + j).ToArray())).ToList();

    private string WriteSharded(string name, long maxShardBytes = 200)
    {
        string dir = Path.Combine(_tmp.Path, name);
        ShardedCheckpointWriter.Write(dir, SixTensors(), maxShardBytes,
            new Dictionary<string, string> { ["format"] = "pt" },
            new Dictionary<string, ReadOnlyMemory<byte>> { ["config.json"] = Encoding.UTF8.GetBytes("{}") });
        return dir;
    }

    private static string Index(string dir) => Path.Combine(dir, ShardedCheckpointWriter.IndexFileName);

    [Fact]
    public void ShardedFolderWrittenByWriterLoads()
    {
        string dir = WriteSharded("two");
        // 6 x 64 bytes with at most 200 per shard: 3 + 3.
        Assert.Equal(["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Index(dir))))
        {
            Assert.Equal(384, doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
            var map = doc.RootElement.GetProperty("weight_map");
            Assert.Equal("model-00001-of-00002.safetensors", map.GetProperty("a.2").GetString());
            Assert.Equal("model-00002-of-00002.safetensors", map.GetProperty("a.3").GetString());
        }
        using var ck = Checkpoint.Open(dir);
        Assert.Equal(2, ck.Files.Count);
        Assert.Equal(6, ck.TensorNames.Count());
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(Enumerable.Range(0, 16).Select(j => i * 100f + j), ck.ReadF32($"a.{i}"));
            Assert.Equal(new long[] { 4, 4 }, ck.Expect($"a.{i}", 4, 4).Shape);
        }
        Assert.EndsWith("model-00002-of-00002.safetensors", ck.FileOf("a.5").Path);
        Assert.Equal("pt", ck.Files[1].Metadata["format"]);
        Assert.Empty(Directory.GetDirectories(_tmp.Path, "*.tmp-*"));
    }

    [Fact]
    public void SingleShardIsModelSafetensorsWithoutIndex()
    {
        string dir = WriteSharded("one", maxShardBytes: 1 << 20);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.False(File.Exists(Index(dir)));
        using var ck = Checkpoint.Open(dir);
        Assert.Single(ck.Files);
        Assert.Equal(6, ck.TensorNames.Count());
    }

    [Fact]
    public void TensorLargerThanShardLimitGetsItsOwnShard()
    {
        string dir = WriteSharded("tiny", maxShardBytes: 10);
        using var ck = Checkpoint.Open(dir);
        Assert.Equal(6, ck.Files.Count);
        Assert.Equal([500f], ck.ReadF32("a.5").Take(1));
    }

    [Fact]
    public void IndexNamingMissingShardFile()
    {
        string dir = WriteSharded("missing");
        File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(dir));
        Assert.Equal(Index(dir), e.File);
        Assert.Equal("a.3", e.Tensor);
        Assert.Equal($"{Index(dir)}: tensor 'a.3': the index maps it (and 2 more) to 'model-00002-of-00002.safetensors' but that file does not exist", e.Message);
    }

    [Fact]
    public void IndexNamingTensorTheShardLacks()
    {
        string dir = WriteSharded("lacks");
        string index = Index(dir);
        string text = File.ReadAllText(index).Replace("\"weight_map\": {", "\"weight_map\": {\n    \"ghost.weight\": \"model-00001-of-00002.safetensors\",");
        File.WriteAllText(index, text);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(dir));
        Assert.Equal($"{index}: tensor 'ghost.weight': the index maps it to 'model-00001-of-00002.safetensors' but that file does not contain it", e.Message);
    }

    [Theory]
    [InlineData("{\"weight_map\": {\"a.0\": ", "not well-formed JSON: ")]
    [InlineData("[]", "missing 'weight_map' object")]
    [InlineData("{\"metadata\": {}}", "missing 'weight_map' object")]
    public void MalformedIndexJson(string json, string problem)
    {
        string dir = WriteSharded("bad" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(Index(dir), json);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(dir));
        Assert.Null(e.Tensor);
        Assert.StartsWith($"{Index(dir)}: {problem}", e.Message);
    }

    [Theory]
    [InlineData("{\"weight_map\": {\"a.0\": 5}}", "a.0", "weight_map value is not a file name")]
    [InlineData("{\"weight_map\": {\"a.0\": \"../other/model.safetensors\"}}", "a.0", "shard name '../other/model.safetensors' must be a plain file name")]
    public void IndexWithBadShardNames(string json, string tensor, string problem)
    {
        string dir = WriteSharded("names" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(Index(dir), json);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(dir));
        Assert.Equal($"{Index(dir)}: tensor '{tensor}': {problem}", e.Message);
    }

    [Fact]
    public void MissingTensorInCheckpoint()
    {
        string dir = WriteSharded("lookup");
        using var ck = Checkpoint.Open(dir);
        var e = Assert.Throws<CheckpointFormatException>(() => ck.Info("nope"));
        Assert.Equal($"{dir}: tensor 'nope': missing tensor", e.Message);
        var shape = Assert.Throws<CheckpointFormatException>(() => ck.Expect("a.0", 4, 5));
        Assert.Contains("tensor 'a.0': shape [4, 4] but the config implies [4, 5]", shape.Message);
    }

    [Fact]
    public void SameTensorInTwoFilesIsRefused()
    {
        string dir = Path.Combine(_tmp.Path, "dup");
        SafetensorsWriter.Write(Path.Combine(dir, "x-1.safetensors"), [SafetensorsEntry.FromArray("w", DType.U8, [1], new byte[1])]);
        SafetensorsWriter.Write(Path.Combine(dir, "x-2.safetensors"), [SafetensorsEntry.FromArray("w", DType.U8, [1], new byte[1])]);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(dir));
        Assert.Equal("w", e.Tensor);
        Assert.Contains("also present in", e.Message);
    }

    [Fact]
    public void ExistingFolderNeedsOverwriteAndFailedRewriteKeepsOldFolder()
    {
        string dir = WriteSharded("over");
        var e = Assert.Throws<DssException>(() => ShardedCheckpointWriter.Write(dir, SixTensors(), 200));
        Assert.Equal($"{dir}: already exists (pass overwrite to replace it)", e.Message);

        var failing = SixTensors();
        failing.Add(new SafetensorsEntry("z", DType.U8, [8], _ => throw new IOException("full")));
        Assert.Throws<IOException>(() => ShardedCheckpointWriter.Write(dir, failing, 200, overwrite: true));
        using (var ck = Checkpoint.Open(dir)) Assert.Equal(6, ck.TensorNames.Count());
        Assert.Single(Directory.GetDirectories(_tmp.Path));

        var replaced = new[] { SafetensorsEntry.FromArray("only", DType.I32, [1], new[] { 42 }) };
        ShardedCheckpointWriter.Write(dir, replaced, 200, overwrite: true);
        using (var ck = Checkpoint.Open(dir)) Assert.Equal(["only"], ck.TensorNames);
        Assert.False(File.Exists(Path.Combine(dir, "config.json")));
        Assert.Single(Directory.GetDirectories(_tmp.Path));
    }

    [Fact]
    public void OpensFixtureFolder()
    {
        using var ck = Checkpoint.Open(Fixtures.Dir("v3-tiny"));
        Assert.Equal(DType.F32, ck.Info("model.layers.1.mlp.gate.e_score_correction_bias").DType);
        Assert.True(ck.Contains("model.layers.3.shared_head.head.weight") || ck.TensorNames.Any(n => n.StartsWith("model.layers.3.", StringComparison.Ordinal)));
    }
}

/// <summary>DeepSeek-V3's 128x128 block-scaled FP8 weights.</summary>
public sealed class CheckpointFp8BlockTests
{
    private static readonly string Reference = Path.Combine(Fixtures.Dir("v3-fp8-tiny"), "reference.safetensors");

    [Fact]
    public void RequantisingDequantisedKernelWeightReproducesCodesAndScales()
    {
        using var f = SafetensorsFile.Open(Reference);
        Assert.Equal(new long[] { 384, 512 }, f.Info("kern.w_q").Shape);
        var q = f.GetBytes("kern.w_q").ToArray();
        var s = f.ReadF32("kern.w_s");
        Assert.Equal(12, s.Length);
        var w = Fp8BlockQuant.Dequantize(q, s, 384, 512);
        Assert.Equal(Fp8E4M3.ToSingle(q[130 * 512 + 300]) * s[1 * 4 + 2], w[130 * 512 + 300]);

        var (q2, s2) = Fp8BlockQuant.Quantize(w, 384, 512);
        Assert.Equal(s.Select(BitConverter.SingleToInt32Bits), s2.Select(BitConverter.SingleToInt32Bits));
        int mismatches = q.Zip(q2).Count(p => p.First != p.Second);
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void DequantisesPartialBlockTensorOfFixtureModel()
    {
        using var ck = Checkpoint.Open(Fixtures.Dir("v3-fp8-tiny"));
        const string name = "model.layers.0.self_attn.q_b_proj.weight";
        var t = ck.Expect(name, 192, 128);
        Assert.Equal(DType.F8_E4M3, t.DType);
        ck.Expect(name + "_scale_inv", 2, 1);
        var q = ck.GetBytes(name);
        var s = ck.ReadF32(name + "_scale_inv");
        var w = Fp8BlockQuant.Dequantize(q, s, 192, 128);
        var e4 = ck.ReadF32(name); // the raw E4M3 values, unscaled
        for (int i = 0; i < 192; i++)
        {
            for (int j = 0; j < 128; j++)
                Assert.Equal(e4[i * 128 + j] * s[i < 128 ? 0 : 1], w[i * 128 + j]);
        }
        Assert.NotEqual(s[0], s[1]);
        // Rows 128..191 are a 64-row edge block: its own scale, and its amax still maps to 448.
        Assert.Equal(448f, Enumerable.Range(128 * 128, 64 * 128).Max(k => Math.Abs(e4[k])));
    }

    [Fact]
    public void EveryFp8WeightOfFixtureModelRoundTrips()
    {
        using var ck = Checkpoint.Open(Fixtures.Dir("v3-fp8-tiny"));
        int checkedTensors = 0;
        foreach (var name in ck.TensorNames.Where(n => ck.Info(n).DType == DType.F8_E4M3))
        {
            var t = ck.Info(name);
            int rows = (int)t.Shape[0], cols = (int)t.Shape[1];
            var q = ck.GetBytes(name).ToArray();
            var s = ck.ReadF32(name + "_scale_inv");
            var (sr, sc) = Fp8BlockQuant.ScaleShape(rows, cols);
            Assert.Equal(new long[] { sr, sc }, ck.Info(name + "_scale_inv").Shape);
            var (q2, s2) = Fp8BlockQuant.Quantize(Fp8BlockQuant.Dequantize(q, s, rows, cols), rows, cols);
            Assert.True(s.AsSpan().SequenceEqual(s2), name + " scales");
            Assert.True(q.AsSpan().SequenceEqual(q2), name + " codes");
            checkedTensors++;
        }
        Assert.True(checkedTensors >= 16, $"only {checkedTensors} FP8 tensors");
    }

    [Fact]
    public void QuantiseRandomPartialBlocksWithinHalfAnFp8Step()
    {
        const int rows = 200, cols = 130, br = 64, bc = 48;
        var rng = new Random(5);
        var w = new float[rows * cols];
        for (int k = 0; k < w.Length; k++) w[k] = (float)((rng.NextDouble() - 0.5) * Math.Exp(rng.NextDouble() * 6 - 3));
        // One block all zeros: scale 1, codes 0, exact zeros back.
        for (int i = 64; i < 128; i++) Array.Clear(w, i * cols + 48, 48);
        var (q, s) = Fp8BlockQuant.Quantize(w, rows, cols, br, bc);
        Assert.Equal(4 * 3, s.Length);
        Assert.Equal(1f, s[1 * 3 + 1]);
        var back = Fp8BlockQuant.Dequantize(q, s, rows, cols, br, bc);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                float scale = s[i / br * 3 + j / bc];
                float v = w[i * cols + j], r = back[i * cols + j];
                Assert.True(Math.Abs(v / scale) <= 448f * (1 + 1e-6f));
                // E4M3 has 3 mantissa bits: relative error <= 2^-4 for normals, absolute <= 2^-10 * scale for subnormals.
                Assert.True(Math.Abs(v - r) <= Math.Max(Math.Abs(v) / 16, scale / 1024) * (1 + 1e-5), $"({i},{j}) {v} -> {r}");
            }
        }
        Assert.Equal(0, Enumerable.Range(64, 64).SelectMany(i => Enumerable.Range(48, 48).Select(j => back[i * cols + j])).Count(x => x != 0));
        // Every non-zero block has an element that maps to exactly 448.
        Assert.Contains(q, b => b == 0x7E || b == 0xFE);
    }

    [Fact]
    public void RefusesWrongLengthsAndNonFiniteWeights()
    {
        Assert.Throws<ArgumentException>(() => Fp8BlockQuant.Dequantize(new byte[10], new float[1], 3, 4));
        Assert.Throws<ArgumentException>(() => Fp8BlockQuant.Dequantize(new byte[12], new float[2], 3, 4));
        Assert.Throws<ArgumentException>(() => Fp8BlockQuant.Quantize(new float[11], 3, 4));
        var e = Assert.Throws<DssException>(() => Fp8BlockQuant.Quantize(new[] { 1f, float.NaN, 0, 0 }, 2, 2));
        Assert.Equal("cannot quantise weight element (0, 1) = NaN: not finite", e.Message);
        Assert.Equal((2, 1), Fp8BlockQuant.ScaleShape(192, 128));
        Assert.Equal((3, 4), Fp8BlockQuant.ScaleShape(384, 512));
    }
}
