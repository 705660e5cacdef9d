namespace DeepSeekSharp.Training;

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
