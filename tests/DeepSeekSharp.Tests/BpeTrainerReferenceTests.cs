using System.Text;
using DeepSeekSharp.Tokenization;
using DeepSeekSharp.Tokenization.Training;

namespace DeepSeekSharp.Tests;

/// <summary>
/// The incremental trainer against a naive one that recounts every pair at every step, and the encoders
/// (Microsoft.ML.Tokenizers through <see cref="HfTokenizer"/>) against a plain rank-order BPE encoder.
/// </summary>
public class BpeTrainerReferenceTests
{
    /// <summary>Naive BPE training: recount all pairs, merge the best (count desc, left id asc, right id asc).</summary>
    internal static List<(string, string)> NaiveTrain(IReadOnlyDictionary<string, long> words, int vocabSize)
    {
        var vocab = new List<string>(BpeSpecialTokens.All.Select(t => t.Content));
        vocab.AddRange(Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString()).Order(StringComparer.Ordinal));
        var ids = vocab.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var segs = words.Select(w => (Syms: ByteLevelSymbols(w.Key), Count: w.Value)).ToList();
        var merges = new List<(string, string)>();
        while (vocab.Count < vocabSize)
        {
            var counts = new Dictionary<(int, int), long>();
            foreach (var (syms, count) in segs)
            {
                for (int i = 0; i + 1 < syms.Count; i++)
                {
                    var p = (ids[syms[i]], ids[syms[i + 1]]);
                    counts[p] = counts.GetValueOrDefault(p) + count;
                }
            }
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key.Item1).ThenBy(c => c.Key.Item2).First().Key;
            string left = vocab[best.Item1], right = vocab[best.Item2];
            merges.Add((left, right));
            if (!ids.ContainsKey(left + right))
            {
                ids[left + right] = vocab.Count;
                vocab.Add(left + right);
            }
            foreach (var (syms, _) in segs) MergeAll(syms, left, right);
        }
        return merges;
    }

    /// <summary>Plain BPE encoding of one pre-token: repeatedly merge the lowest-ranked adjacent pair, leftmost first.</summary>
    internal static List<string> ReferenceEncode(string preToken, IReadOnlyDictionary<(string, string), int> ranks)
    {
        var syms = ByteLevelSymbols(preToken);
        while (true)
        {
            int bestRank = int.MaxValue, at = -1;
            for (int i = 0; i + 1 < syms.Count; i++)
            {
                if (ranks.TryGetValue((syms[i], syms[i + 1]), out int r) && r < bestRank)
                {
                    bestRank = r;
                    at = i;
                }
            }
            if (at < 0) return syms;
            syms[at] += syms[at + 1];
            syms.RemoveAt(at + 1);
        }
    }

    /// <summary>Ids of a text by the reference encoder: pre-tokenize with DeepSeek-V3's regexes, encode each piece.</summary>
    internal static List<int> ReferenceIds(string text, TrainedBpe bpe)
    {
        var ranks = new Dictionary<(string, string), int>();
        for (int i = 0; i < bpe.Merges.Count; i++) ranks.TryAdd(bpe.Merges[i], i);
        var ids = bpe.Vocab.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var result = new List<int>();
        foreach (var (offset, length) in DeepSeekV3PreTokenizer.Create().PreTokenize(text))
        {
            foreach (string s in ReferenceEncode(text.Substring(offset, length), ranks)) result.Add(ids[s]);
        }
        return result;
    }

    private static List<string> ByteLevelSymbols(string word) =>
        [.. Encoding.UTF8.GetBytes(word).Select(b => ByteLevelAlphabet.ToChar(b).ToString())];

    private static void MergeAll(List<string> syms, string left, string right)
    {
        for (int i = 0; i + 1 < syms.Count; i++)
        {
            if (syms[i] == left && syms[i + 1] == right)
            {
                syms[i] = left + right;
                syms.RemoveAt(i + 1);
            }
        }
    }

    [Fact]
    public void IncrementalTrainerMatchesNaiveTrainerOnRandomCorpora()
    {
        int compared = 0;
        for (int seed = 0; seed < 60; seed++)
        {
            var rng = new Random(seed);
            string alphabet = seed % 3 == 0 ? "ab" : seed % 3 == 1 ? "abc" : "aébΩ";
            var words = new Dictionary<string, long>(StringComparer.Ordinal);
            for (int i = 0; i < 12; i++)
            {
                var chars = Enumerable.Range(0, rng.Next(1, 9)).Select(_ => alphabet[rng.Next(alphabet.Length)]);
                words[string.Concat(chars)] = rng.Next(1, 6);
            }
            int size = 261 + 8;
            var naive = NaiveTrain(words, size);
            int reachable = 261 + naive.Select(m => m.Item1 + m.Item2).Distinct().Count();
            if (reachable < size) continue;
            var fast = new BpeTrainer(new BpeTrainerOptions(size, 1)).Train(words, words.Values.Sum());
            Assert.Equal(naive, fast.Merges);
            compared++;
        }
        Assert.True(compared >= 40, $"only {compared} random corpora reached the vocab size");
    }

    [Fact]
    public void TrainingSegmentationEqualsRankOrderEncoding()
    {
        var words = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            [" the"] = 40, [" then"] = 9, [" other"] = 7, [" there"] = 6, ["the"] = 5, [" he"] = 11, [" her"] = 8, [" here"] = 3,
        };
        var bpe = new BpeTrainer(new BpeTrainerOptions(261 + 12, 1)).Train(words, 0);
        var ranks = new Dictionary<(string, string), int>();
        for (int i = 0; i < bpe.Merges.Count; i++) ranks.TryAdd(bpe.Merges[i], i);
        long tokens = words.Sum(w => w.Value * ReferenceEncode(w.Key, ranks).Count);
        Assert.Equal(tokens, bpe.TrainingTokens);
    }
}
