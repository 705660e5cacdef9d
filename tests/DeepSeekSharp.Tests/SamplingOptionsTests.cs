using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Tests;

public class SamplingOptionsTests
{
    [Fact]
    public void DefaultsTurnEveryFilterOff()
    {
        var o = new SamplingOptions();
        Assert.Equal(1.0, o.Temperature);
        Assert.Equal(0, o.TopK);
        Assert.Equal(1.0, o.TopP);
        Assert.Equal(0.0, o.MinP);
        Assert.Equal(1.0, o.RepetitionPenalty);
        Assert.Equal(0.0, o.PresencePenalty);
        Assert.Equal(0.0, o.FrequencyPenalty);
        Assert.Null(o.Seed);
        Assert.Null(o.MaxNewTokens);
        Assert.Empty(o.StopTokenIds);
        Assert.Empty(o.StopStrings);
        Assert.False(o.IsGreedy);
        Assert.True(SamplingOptions.Greedy.IsGreedy);
    }

    public static TheoryData<string, Func<SamplingOptions>> Invalid => new()
    {
        { "temperature", () => new SamplingOptions { Temperature = -0.1 } },
        { "temperature", () => new SamplingOptions { Temperature = double.NaN } },
        { "temperature", () => new SamplingOptions { Temperature = double.PositiveInfinity } },
        { "top_k", () => new SamplingOptions { TopK = -1 } },
        { "top_p", () => new SamplingOptions { TopP = 0 } },
        { "top_p", () => new SamplingOptions { TopP = 1.01 } },
        { "top_p", () => new SamplingOptions { TopP = double.NaN } },
        { "min_p", () => new SamplingOptions { MinP = -0.01 } },
        { "min_p", () => new SamplingOptions { MinP = 1.5 } },
        { "repetition_penalty", () => new SamplingOptions { RepetitionPenalty = 0 } },
        { "presence_penalty", () => new SamplingOptions { PresencePenalty = double.NaN } },
        { "frequency_penalty", () => new SamplingOptions { FrequencyPenalty = double.NegativeInfinity } },
        { "max_new_tokens", () => new SamplingOptions { MaxNewTokens = -1 } },
        { "stop_token_ids", () => new SamplingOptions { StopTokenIds = [1, -2] } },
        { "stop strings", () => new SamplingOptions { StopStrings = ["ok", ""] } },
        { "top_p", () => new SamplingOptions() with { TopP = 2 } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void OutOfRangeValuesFailWithNamedParameter(string name, Func<SamplingOptions> make)
    {
        var e = Assert.Throws<DssException>(() => make());
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void BoundaryValuesAreAccepted()
    {
        var o = new SamplingOptions { Temperature = 0, TopK = 0, TopP = 1, MinP = 1, MaxNewTokens = 0, PresencePenalty = -2, FrequencyPenalty = 2 };
        Assert.Equal(1.0, o.MinP);
        Assert.Equal(0, o.MaxNewTokens);
    }

    [Fact]
    public void StopListsAreCopied()
    {
        int[] ids = [5, 6];
        var o = new SamplingOptions { StopTokenIds = ids };
        ids[0] = 99;
        Assert.Equal([5, 6], o.StopTokenIds);
    }

    [Fact]
    public void SamplerRejectsStopIdOutsideVocabulary()
    {
        var e = Assert.Throws<DssException>(() => new Sampler(new SamplingOptions { StopTokenIds = [10] }, 10));
        Assert.Contains("10", e.Message);
        Assert.True(new Sampler(new SamplingOptions { StopTokenIds = [9] }, 10).IsStopToken(9));
    }
}
