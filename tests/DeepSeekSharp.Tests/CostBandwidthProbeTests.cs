using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>Only a tiny-buffer sanity check: the real 1 GiB probe is for `dss cost decode --this-machine`.</summary>
public class CostBandwidthProbeTests
{
    [Fact]
    public void TinyProbeReadsEveryElement()
    {
        var m = BandwidthProbe.Measure(bufferBytes: 1 << 20, passes: 2, threads: 2);
        Assert.Equal(1 << 20, m.BufferBytes);
        Assert.Equal((1 << 20) / 4 / 1024.0, m.Checksum, 6); // 262,144 floats of 1/1024
        Assert.True(m.BestGBps > 0 && m.BestGBps >= m.MeanGBps);
        Assert.Throws<DssException>(() => BandwidthProbe.Measure(100));
    }

    [Fact]
    public unsafe void VectorSumMatchesScalarTwin()
    {
        var data = new float[4096];
        var rng = new Random(5);
        for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble();
        fixed (float* p = data)
        {
            Assert.Equal(BandwidthProbe.SumScalar(p, data.Length), BandwidthProbe.Sum(p, data.Length), 2);
            Assert.Equal(BandwidthProbe.SumScalar(p, data.Length), BandwidthProbe.Sum4Streams(p, data.Length), 2);
            Assert.Equal(BandwidthProbe.SumScalar(p, 64), BandwidthProbe.Sum4Streams(p, 64), 4);
        }
    }
}
