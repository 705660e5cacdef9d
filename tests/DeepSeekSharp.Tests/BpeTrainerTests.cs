using DeepSeekSharp.Tokenization.Training;

namespace DeepSeekSharp.Tests;

/// <summary>The BPE training algorithm on hand-made word counts: merge order, ties, sizes and errors.</summary>
public class BpeTrainerTests
{
    private const int Base = 261;   // 5 added tokens + 256 byte symbols

    private static TrainedBpe Train(int vocabSize, long minFrequency, params (string Word, long Count)[] words) =>
        new BpeTrainer(new BpeTrainerOptions(vocabSize, minFrequency))
            .Train(words.ToDictionary(w => w.Word, w => w.Count, StringComparer.Ordinal), words.Sum(w => w.Count));

    [Fact]
    public void MergesTheMostFrequentPairFirst()
    {
        // (b,c) occurs 2+4 = 6 times, (a,b) 3+2 = 5: "bc" first; then (a,b) 3 beats (a,bc) 2.
        var bpe = Train(Base + 3, 1, ("ab", 3), ("abc", 2), ("bc", 4));
        Assert.Equal([("b", "c"), ("a", "b"), ("a", "bc")], bpe.Merges);
        Assert.Equal(["bc", "ab", "abc"], bpe.Vocab.Skip(Base));
        Assert.Equal(3 * 1 + 2 * 1 + 4 * 1, bpe.TrainingTokens);
    }

    [Fact]
    public void StartsWithAddedTokensThenBytesInByteLevelCharOrder()
    {
        var bpe = Train(Base, 1, ("a", 1));
        Assert.Equal(Base, bpe.VocabSize);
        Assert.Equal(BpeSpecialTokens.All.Select(t => t.Content), bpe.Vocab.Take(5));
        Assert.Equal("!", bpe.Vocab[5]);        // DeepSeek-V3's id 3 after its three specials
        Assert.Equal("\"", bpe.Vocab[6]);
        Assert.Equal("Ā", bpe.Vocab[5 + 188]);   // byte 0x00, the first char above U+00FF
        Assert.Equal("Ń", bpe.Vocab[Base - 1]);
        Assert.Equal(256, bpe.Vocab.Skip(5).Distinct().Count());
    }

    [Fact]
    public void BreaksTiesBySmallerLeftThenRightId()
    {
        var first = Train(Base + 1, 1, ("cd", 1), ("ab", 1));
        Assert.Equal([("a", "b")], first.Merges);
        var second = Train(Base + 1, 1, ("bc", 1), ("ba", 1));
        Assert.Equal([("b", "a")], second.Merges);
        // A merged symbol has a larger id than every byte: "Ġt"+"x" loses a tie to "a"+"x" (a space is "Ġ").
        var third = Train(Base + 2, 1, (" t", 5), (" tx", 1), ("ax", 1));
        Assert.Equal([("Ġ", "t"), ("a", "x")], third.Merges);
    }

    [Fact]
    public void MergesOverlappingPairsLeftToRight()
    {
        var bpe = Train(Base + 2, 1, ("aaa", 1));
        Assert.Equal([("a", "a"), ("aa", "a")], bpe.Merges);
        Assert.Equal(1, bpe.TrainingTokens);
    }

    [Fact]
    public void CountsMultiByteCharsAsByteSymbols()
    {
        // "é" is C3 A9, shown as "Ã" "©" in byte-level form; merging them gives the token "Ã©".
        var bpe = Train(Base + 1, 1, ("é", 2));
        Assert.Equal([("Ã", "©")], bpe.Merges);
        Assert.Equal("Ã©", bpe.Vocab[^1]);
    }

    [Fact]
    public void DoesNotDependOnTheOrderOfWords()
    {
        var words = new (string, long)[] { ("the", 9), ("then", 4), ("other", 3), ("ether", 2), ("hen", 5), ("tenth", 1) };
        var forward = Train(Base + 10, 1, words);
        var backward = Train(Base + 10, 1, [.. words.Reverse()]);
        Assert.Equal(forward.Merges, backward.Merges);
        Assert.Equal(forward.Vocab, backward.Vocab);
    }

    [Fact]
    public void ReachesTheVocabSizeExactly()
    {
        var bpe = Train(Base + 3, 1, ("ab", 3), ("abc", 2), ("bc", 4));
        Assert.Equal(Base + 3, bpe.VocabSize);
        Assert.Equal(Base + 3, bpe.Vocab.Distinct().Count());
    }

    [Fact]
    public void FailsWhenThePairsRunOut()
    {
        var e = Assert.Throws<DssException>(() => Train(Base + 4, 1, ("ab", 3), ("abc", 2), ("bc", 4)));
        Assert.Contains("after 3 merges", e.Message);
        Assert.Contains("--vocab-size", e.Message);
    }

    [Fact]
    public void FailsWhenTheBestPairIsBelowMinFrequency()
    {
        Assert.Equal(2, Train(Base + 2, 2, ("ab", 3), ("abc", 2), ("bc", 4)).Merges.Count);
        var e = Assert.Throws<DssException>(() => Train(Base + 3, 3, ("ab", 3), ("abc", 2), ("bc", 4)));
        Assert.Contains("at least 3 times after 2 merges", e.Message);
    }

    [Fact]
    public void RejectsAVocabSizeBelowTheBaseAlphabet()
    {
        var e = Assert.Throws<DssException>(() => new BpeTrainer(new BpeTrainerOptions(Base - 1)));
        Assert.Contains("at least 261", e.Message);
        Assert.Contains("5 special tokens + 256 byte symbols", e.Message);
    }

    [Fact]
    public void RejectsAMinFrequencyBelowOne() =>
        Assert.Throws<DssException>(() => new BpeTrainer(new BpeTrainerOptions(Base + 1, MinFrequency: 0)));

    [Fact]
    public void ReportsProgress()
    {
        var reports = new List<(int, int)>();
        new BpeTrainer(new BpeTrainerOptions(Base + 3, 1) { Progress = (d, w) => reports.Add((d, w)), ProgressInterval = 2 })
            .Train(new Dictionary<string, long> { ["ab"] = 3, ["abc"] = 2, ["bc"] = 4 }, 9);
        Assert.Equal([(2, 3), (3, 3)], reports);
    }
}
