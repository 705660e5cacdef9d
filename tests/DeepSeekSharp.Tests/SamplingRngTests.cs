using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Tests;

public class SamplingRngTests
{
    [Fact]
    public void SplitMix64MatchesReference()
    {
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SamplingRng.SplitMix64(ref state));
    }

    // Reference values from an independent Python transcription of splitmix64.c and xoshiro256starstar.c.
    [Theory]
    [InlineData(0UL, 0x99ec5f36cb75f2b4UL, 0xbf6e1f784956452aUL, 0x1a5f849d4933e6e0UL, 0x6aa594f1262d2d2cUL, 0xbba5ad4a1f842e59UL)]
    [InlineData(42UL, 0x15780b2e0c2ec716UL, 0x6104d9866d113a7eUL, 0xae17533239e499a1UL, 0xecb8ad4703b360a1UL, 0xfde6dc7fe2ec5e64UL)]
    [InlineData(ulong.MaxValue, 0x8f5520d52a7ead08UL, 0xc476a018caa1802dUL, 0x81de31c0d260469eUL, 0xbf658d7e065f3c2fUL, 0x913593fda1bca32aUL)]
    public void Xoshiro256StarStarMatchesReference(ulong seed, ulong a, ulong b, ulong c, ulong d, ulong e)
    {
        var rng = new SamplingRng(seed);
        ulong[] got = [rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64()];
        Assert.Equal([a, b, c, d, e], got);
    }

    [Fact]
    public void NextDoubleIsInUnitIntervalWithMeanNearHalf()
    {
        var rng = new SamplingRng(7);
        double sum = 0;
        for (int i = 0; i < 100_000; i++)
        {
            double u = rng.NextDouble();
            Assert.InRange(u, 0.0, Math.BitDecrement(1.0));
            sum += u;
        }
        Assert.InRange(sum / 100_000, 0.49, 0.51);
    }
}
