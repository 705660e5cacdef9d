using DeepSeekSharp.Benchmarking;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

[Collection("Console")]
public class StreamsBenchTests
{
    [Fact]
    public void CountsEveryStreamsTokens()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var r = StreamsBench.Run(m, new[] { 1, 3 }, 10, speculative: false);
        Assert.Equal(2, r.Count);
        Assert.Equal(9, r[0].GeneratedTokens);
        Assert.Equal(27, r[1].GeneratedTokens);
        Assert.All(r, x => Assert.True(x.TokensPerSecond > 0));
    }

    [Fact]
    public void CliPrintsTheTableAndRejectsBadCounts()
    {
        var (rc, stdout, err) = CliHarness.Run("bench", "--model", Fixtures.Dir("v3-tiny"), "--streams", "1,2", "--gen-tokens", "6");
        Assert.True(rc == 0, err);
        Assert.Contains("aggregate decode tok/s", stdout);
        (rc, _, err) = CliHarness.Run("bench", "--model", Fixtures.Dir("v3-tiny"), "--streams", "1,x");
        Assert.Equal(1, rc);
        Assert.Contains("--streams", err);
    }
}
