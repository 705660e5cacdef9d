using System.Text.Json;

namespace DeepSeekSharp.Training;

/// <summary>
/// Training text: plain-text files (documents separated by blank lines; a file without blank lines has one
/// document per line) or JSONL files (one document per line, in its "text" field).
/// </summary>
public static class TextCorpus
{
    /// <summary>The documents of every path in order (a folder contributes its *.txt and *.jsonl files, sorted by name).</summary>
    public static List<string> ReadDocuments(IEnumerable<string> paths)
    {
        var docs = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.GetFiles(path).Where(f => f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
                    .OrderBy(f => f, StringComparer.Ordinal).ToArray();
                if (files.Length == 0) throw new DssException($"{path}: no .txt or .jsonl files in the folder");
                foreach (var f in files) ReadFile(f, docs);
            }
            else if (File.Exists(path)) ReadFile(path, docs);
            else throw new DssException($"{path}: data file not found");
        }
        if (docs.Count == 0) throw new DssException("the data holds no documents");
        return docs;
    }

    private static void ReadFile(string path, List<string> docs)
    {
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            int lineNo = 0;
            foreach (var line in File.ReadLines(path))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                        throw new DssException($"{path}:{lineNo}: expected a JSON object with a string field \"text\"");
                    var text = t.GetString()!;
                    if (text.Length > 0) docs.Add(text);
                }
                catch (JsonException e)
                {
                    throw new DssException($"{path}:{lineNo}: not valid JSON: {e.Message}");
                }
            }
            return;
        }
        var lines = File.ReadAllLines(path);
        if (!lines.Any(string.IsNullOrWhiteSpace))
        {
            docs.AddRange(lines);
            return;
        }
        var cur = new List<string>();
        foreach (var line in lines.Append(""))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                if (cur.Count > 0) docs.Add(string.Join("\n", cur));
                cur.Clear();
            }
            else cur.Add(line);
        }
    }
}

/// <summary>
/// Tokenised documents packed into one training stream and one validation stream (every 20th document is held
/// out), each document followed by the end-of-sequence token. A training sample is a window of seq + 1 tokens
/// starting at a multiple of seq; windows are visited in a shuffled order per epoch derived from the seed alone,
/// so the data position is one counter.
/// </summary>
public sealed class TokenData
{
    public const int ValidationEvery = 20;

    public int[] Train { get; }
    public int[] Validation { get; }
    public int Seq { get; }
    public ulong Seed { get; }
    public int TrainWindows => (Train.Length - 1) / Seq;
    public int ValidationWindows => (Validation.Length - 1) / Seq;

    private int _epoch = -1;
    private int[] _order = Array.Empty<int>();

    public TokenData(int[] train, int[] validation, int seq, ulong seed)
    {
        if (seq < 2) throw new DssException($"--seq must be at least 2, got {seq}");
        Train = train;
        Validation = validation;
        Seq = seq;
        Seed = seed;
        if (TrainWindows < 1) throw new DssException($"the training data has {train.Length} tokens, fewer than one sequence of {seq + 1}");
    }

    /// <summary>Tokenises documents and splits them; eos (when given) ends every document.</summary>
    public static TokenData Build(IReadOnlyList<string> docs, Func<string, int[]> encode, int? eos, int seq, ulong seed)
    {
        var encoded = new int[docs.Count][];
        Parallel.For(0, docs.Count, i => encoded[i] = encode(docs[i]));
        var train = new List<int>();
        var val = new List<int>();
        for (int i = 0; i < docs.Count; i++)
        {
            var dst = i % ValidationEvery == ValidationEvery - 1 ? val : train;
            dst.AddRange(encoded[i]);
            if (eos is int e) dst.Add(e);
        }
        return new TokenData(train.ToArray(), val.ToArray(), seq, seed);
    }

    /// <summary>The training window of sample number n (0-based, counting across epochs): seq + 1 tokens.</summary>
    public ReadOnlySpan<int> TrainSample(long n)
    {
        int epoch = (int)(n / TrainWindows);
        if (epoch != _epoch)
        {
            _order = new TrainRng(Seed ^ (0xD1B54A32D192ED03UL * (ulong)(epoch + 1))).Permutation(TrainWindows);
            _epoch = epoch;
        }
        int w = _order[(int)(n % TrainWindows)];
        return Train.AsSpan(w * Seq, Seq + 1);
    }

    public ReadOnlySpan<int> ValidationSample(int i) => Validation.AsSpan(i * Seq, Seq + 1);
}
