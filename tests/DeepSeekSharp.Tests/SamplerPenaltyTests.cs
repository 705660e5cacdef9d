using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Tests;

public class SamplerPenaltyTests
{
    [Fact]
    public void PenaltiesChangeLogitsExactlyAsTheFormulasSay()
    {
        const float rep = 1.3f, presence = 0.5f, frequency = 0.25f;
        var s = new Sampler(new SamplingOptions { RepetitionPenalty = rep, PresencePenalty = presence, FrequencyPenalty = frequency }, 6);
        s.AcceptPrompt([1, 2, 4]);
        s.Accept(2);
        s.Accept(3);
        s.Accept(3);
        s.Accept(5);
        float[] original = [1.5f, 2f, -1f, 0.75f, -3f, 0f];
        var logits = (float[])original.Clone();
        s.ApplyPenalties(logits);

        Assert.Equal(original[0], logits[0]);                                  // never seen
        Assert.Equal(original[1] / rep, logits[1]);                            // prompt only: repetition penalty only
        Assert.Equal(original[2] * rep - (presence + frequency * 1), logits[2]); // negative: multiplied, generated once
        Assert.Equal(original[3] / rep - (presence + frequency * 2), logits[3]); // generated twice
        Assert.Equal(original[4] * rep, logits[4]);                            // negative prompt token
        Assert.Equal(0f / rep - (presence + frequency * 1), logits[5]);
        Assert.Equal([0, 0, 1, 2, 0, 1], Enumerable.Range(0, 6).Select(s.CountOf));
        Assert.Equal(7, s.ContextLength);
        Assert.Equal(4, s.GeneratedCount);
    }

    [Fact]
    public void PresenceAndFrequencyCountOnlyGeneratedTokens()
    {
        var s = new Sampler(new SamplingOptions { PresencePenalty = 1, FrequencyPenalty = 1 }, 3);
        s.AcceptPrompt([0, 0, 0]);
        float[] logits = [1f, 1f, 1f];
        s.ApplyPenalties(logits);
        Assert.Equal([1f, 1f, 1f], logits);
    }

    [Fact]
    public void NoPenaltiesLeaveLogitsUntouched()
    {
        var s = new Sampler(new SamplingOptions(), 3);
        s.AcceptPrompt([0, 1]);
        s.Accept(2);
        float[] logits = [1f, -2f, 3f];
        s.ApplyPenalties(logits);
        Assert.Equal([1f, -2f, 3f], logits);
    }

    [Fact]
    public void PenaltiesSteerGreedyAndTheSampledDistribution()
    {
        var s = new Sampler(SamplingOptions.Greedy with { PresencePenalty = 0.5 }, 2);
        Assert.Equal(0, s.SampleAndAccept([2f, 1.9f]));
        Assert.Equal(1, s.Sample([2f, 1.9f]));

        var t = new Sampler(new SamplingOptions { FrequencyPenalty = 1 }, 3);
        t.Accept(0);
        t.Accept(0);
        var probs = new float[3];
        t.ComputeProbabilities([2f, 0f, 0f], probs);
        Assert.Equal(1f / 3, probs[0], 6); // 2 - 2 * 1 = 0: all three logits equal
    }

    [Fact]
    public void ClearHistoryForgetsCountsAndResetReplaysTheSameDraws()
    {
        var s = new Sampler(new SamplingOptions { RepetitionPenalty = 2, FrequencyPenalty = 1, Seed = 3 }, 8);
        float[] logits = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f];
        var first = Enumerable.Range(0, 20).Select(_ => s.SampleAndAccept(logits)).ToArray();
        s.Reset();
        Assert.Equal(0, s.ContextLength);
        Assert.Equal(0, s.CountOf(first[0]));
        var again = Enumerable.Range(0, 20).Select(_ => s.SampleAndAccept(logits)).ToArray();
        Assert.Equal(first, again);

        s.ClearHistory();
        var copy = (float[])logits.Clone();
        s.ApplyPenalties(copy);
        Assert.Equal(logits, copy);
    }
}
