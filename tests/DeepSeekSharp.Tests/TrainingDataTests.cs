using DeepSeekSharp.Training;

namespace DeepSeekSharp.Tests;

/// <summary>Reading text and JSONL, the held-out split, packing and the deterministic data order.</summary>
public class TrainingDataTests
{
    [Fact]
    public void ReadsPlainTextAndJsonlDocuments()
    {
        using var tmp = new Fixtures.TempDir();
        File.WriteAllText(tmp.File("a.txt"), "first doc line 1\nline 2\n\n\nsecond doc\n");
        File.WriteAllText(tmp.File("b.txt"), "one per line\nanother\n");
        File.WriteAllText(tmp.File("c.jsonl"), "{\"text\": \"json doc\", \"id\": 1}\n\n{\"text\": \"json two\"}\n");
        var docs = TextCorpus.ReadDocuments(new[] { tmp.File("a.txt"), tmp.File("b.txt"), tmp.File("c.jsonl") });
        Assert.Equal(new[] { "first doc line 1\nline 2", "second doc", "one per line", "another", "json doc", "json two" }, docs);
        Assert.Equal(docs, TextCorpus.ReadDocuments(new[] { tmp.Path }));

        File.WriteAllText(tmp.File("bad.jsonl"), "{\"body\": \"x\"}\n");
        var e = Assert.Throws<DssException>(() => TextCorpus.ReadDocuments(new[] { tmp.File("bad.jsonl") }));
        Assert.Contains("bad.jsonl:1", e.Message);
        Assert.Throws<DssException>(() => TextCorpus.ReadDocuments(new[] { tmp.File("missing.txt") }));
    }

    [Fact]
    public void HoldsOutEveryTwentiethDocumentAndVisitsEveryWindowOncePerEpoch()
    {
        var docs = Enumerable.Range(0, 40).Select(i => i.ToString()).ToList();
        var data = TokenData.Build(docs, s => new[] { 100 + int.Parse(s), 100 + int.Parse(s) }, eos: 1, seq: 4, seed: 3);
        Assert.Equal(new[] { 119, 119, 1, 139, 139, 1 }, data.Validation);
        Assert.Equal(38 * 3, data.Train.Length);
        int n = data.TrainWindows;
        var starts = Enumerable.Range(0, n).Select(i => data.TrainSample(i)[0] * 1000 + data.TrainSample(i)[1]).ToHashSet();
        Assert.Equal(n, starts.Count); // a permutation of the windows
        var again = TokenData.Build(docs, s => new[] { 100 + int.Parse(s), 100 + int.Parse(s) }, eos: 1, seq: 4, seed: 3);
        for (int i = 0; i < 2 * n; i++) Assert.True(data.TrainSample(i).SequenceEqual(again.TrainSample(i)));
        Assert.Equal(5, data.TrainSample(7).Length);
    }
}
