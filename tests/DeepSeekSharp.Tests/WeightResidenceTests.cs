using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>Weights read into 2 MiB-page memory against the memory-mapped files.</summary>
public unsafe class WeightResidenceTests
{
    [Fact]
    public void LargePageBufferHoldsWhatIsWritten()
    {
        using var b = new LargePageBuffer(5L << 20);
        if (OperatingSystem.IsLinux())
        {
            Assert.True(b.HugePagesAdvised);
            Assert.Equal(0, (long)b.Pointer % LargePageBuffer.HugePageBytes);
        }
        var s = b.Span((5L << 20) - 100, 100);
        for (int i = 0; i < 100; i++) s[i] = (byte)i;
        Assert.Equal(99, b.Pointer[(5L << 20) - 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Span((5L << 20) - 10, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LargePageBuffer(0));
        b.Dispose();
        Assert.Throws<ObjectDisposedException>(() => b.Span(0, 1));
        if (OperatingSystem.IsLinux()) Assert.True(LargePageBuffer.ProcessHugePageBytes() >= 0);
    }

    [Theory]
    [InlineData("v3-tiny")]
    [InlineData("v3-fp8-tiny")]
    [InlineData("v2-lite-tiny")]
    public void ResidentAndMappedWeightsGiveTheSameLogits(string model)
    {
        using var mem = Transformer.Load(Fixtures.Dir(model), WeightResidence.Memory);
        using var map = Transformer.Load(Fixtures.Dir(model), WeightResidence.Mapped);
        Assert.Equal(WeightResidence.Memory, mem.Weights.Checkpoint.Residence);
        Assert.Equal(WeightResidence.Mapped, map.Weights.Checkpoint.Residence);
        Assert.All(mem.Weights.Checkpoint.Files, f => Assert.True(f.IsResident));
        Assert.All(map.Weights.Checkpoint.Files, f => Assert.False(f.IsResident));
        foreach (var name in mem.Weights.Checkpoint.TensorNames)
            Assert.True(mem.Weights.Checkpoint.GetBytes(name).SequenceEqual(map.Weights.Checkpoint.GetBytes(name)), name);
        int[] prompt = [3, 17, 5, 42, 8];
        var a = mem.Forward(prompt, 0, mem.NewCache(8));
        var b = map.Forward(prompt, 0, map.NewCache(8));
        Assert.Equal(b, a);
    }

    [Fact]
    public void ResidenceIsParsedAndResolved()
    {
        Assert.Equal(WeightResidence.Memory, WeightResidences.Parse("memory", "--weights"));
        Assert.Equal(WeightResidence.Mapped, WeightResidences.Parse(" MMAP ", "--weights"));
        Assert.Equal(WeightResidence.Auto, WeightResidences.Parse("auto", "--weights"));
        var e = Assert.Throws<DssException>(() => WeightResidences.Parse("disk", "DSS_WEIGHTS"));
        Assert.Contains("DSS_WEIGHTS: 'disk'", e.Message);
        // Explicit choices pass through whatever the size; auto never holds more than half the memory.
        Assert.Equal(WeightResidence.Mapped, WeightResidences.Resolve(WeightResidence.Mapped, 1));
        Assert.Equal(WeightResidence.Memory, WeightResidences.Resolve(WeightResidence.Memory, long.MaxValue));
        if (Environment.GetEnvironmentVariable(WeightResidences.EnvironmentVariable) is null)
            Assert.Equal(WeightResidence.Mapped, WeightResidences.Resolve(WeightResidence.Auto, long.MaxValue / 2));
    }

    [Fact]
    public void AResidentFileTruncatedAfterItsHeaderIsRefused()
    {
        using var tmp = new Fixtures.TempDir();
        string src = Path.Combine(Fixtures.Dir("v3-tiny"), "model.safetensors");
        string path = tmp.File("cut.safetensors");
        var bytes = File.ReadAllBytes(src);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 1000).ToArray());
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path, resident: true));
        Assert.Contains("truncated", e.Message);
    }
}
