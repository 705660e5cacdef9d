using DeepSeekSharp.Tokenization;
using DeepSeekSharp.Tokenization.Training;

namespace DeepSeekSharp.Tests;

/// <summary>
/// Ids pinned for a few sentences with a 300-entry vocabulary trained on a fixed text (the opening of Brown's news
/// section). Any change to pre-tokenisation, merge order, tie-breaking or id layout changes them.
/// </summary>
public class BpeTrainerPinnedIdsTests
{
    private const string FixedText =
        "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced " +
        "\"no evidence\" that any irregularities took place.\n" +
        "The jury further said in term-end presentments that the City Executive Committee, which had over-all charge " +
        "of the election, \"deserves the praise and thanks of the City of Atlanta\" for the manner in which the election was conducted.\n" +
        "The September-October term jury had been charged by Fulton Superior Court Judge Durwood Pye to investigate " +
        "reports of possible \"irregularities\" in the hard-fought primary which was won by Mayor-nominate Ivan Allen Jr.\n" +
        "Only a relative handful of such reports was received, the jury said, considering the widespread interest in the " +
        "election, the number of voters and the size of this city.\n" +
        "The jury said it did find that many of Georgia's registration and election laws are outmoded or inadequate and " +
        "often ambiguous. It recommended that Fulton legislators act to have these laws studied and revised to the end " +
        "of modernizing and improving them. The 1962 budget of $3,250,000 was ample; 1,200,000 in 1961.\n";

    // Ids 0-4 are the added tokens, 5-260 the bytes by byte-level char ("!" = 5, "A" = 37, "Ġ" (space) = 225),
    // 261-299 the merges: e.g. "Ġt" = 261, "Ġthe" = 265.
    private static HfTokenizer TrainFixed(Fixtures.TempDir dir)
    {
        var counts = new PreTokenCounts();
        counts.Add(FixedText);
        TrainedTokenizerFiles.Write(new BpeTrainer(new BpeTrainerOptions(300)).Train(counts), dir.Path);
        return HfTokenizer.Load(dir.Path);
    }

    [Theory]
    [InlineData("The jury said the election was won.",
        new[] { 293, 225, 78, 279, 93, 286, 69, 274, 265, 289, 278, 294, 275, 69, 87, 275, 268, 18 })]
    [InlineData("Fulton County reports, 1962: $3,250,000!",
        new[] { 42, 89, 80, 88, 268, 297, 83, 89, 82, 88, 93, 281, 84, 284, 88, 87, 16, 225, 21, 29, 26, 22, 30, 225, 8, 23, 16, 22, 25, 20, 16, 292, 20, 5 })]
    [InlineData("Atlanta's city laws\n", new[] { 37, 88, 80, 263, 88, 69, 11, 87, 299, 296, 93, 225, 283, 91, 87, 203 })]
    public void PinsIds(string sentence, int[] expected)
    {
        using var dir = new Fixtures.TempDir();
        var tok = TrainFixed(dir);
        int[] ids = tok.Encode(sentence);
        Assert.Equal(sentence, tok.Decode(ids));
        Assert.Equal(expected, ids);
    }

    [Fact]
    public void PinsTheFirstMergesAndTheLast()
    {
        var counts = new PreTokenCounts();
        counts.Add(FixedText);
        var bpe = new BpeTrainer(new BpeTrainerOptions(300)).Train(counts);
        Assert.Equal(300, bpe.VocabSize);
        Assert.Equal(39, bpe.Merges.Count);
        Assert.Equal([("Ġ", "t"), ("h", "e"), ("a", "n")], bpe.Merges.Take(3));
        Assert.Equal(("Ġ", "c"), bpe.Merges[^1]);
    }
}
