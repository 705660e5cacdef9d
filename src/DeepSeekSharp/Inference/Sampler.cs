using System.Security.Cryptography;

namespace DeepSeekSharp.Inference;

/// <summary>
/// Picks the next token of one sequence from a row of logits, as <see cref="SamplingOptions"/> says:
/// repetition penalty, presence/frequency penalties, temperature, top-k, top-p, min-p, then a draw with the
/// sampler's own xoshiro256** generator (<see cref="SamplingRng"/>), so a seeded run repeats exactly.
/// <para>
/// The sampler tracks the sequence itself: feed the prompt with <see cref="AcceptPrompt"/> and each generated
/// token with <see cref="Accept"/>. Token counts are kept incrementally, so a step costs O(vocab + distinct
/// tokens seen), and it allocates nothing after construction. Not thread-safe: one sampler per sequence.
/// </para>
/// </summary>
public sealed class Sampler
{
    private readonly float[] _work;        // (vocab) penalised logits, then probabilities
    private readonly long[] _keys;         // (vocab) ranking scratch of the filters
    private readonly bool[] _inContext;    // (vocab) token occurs in prompt or generated text
    private readonly int[] _generatedCount; // (vocab) occurrences among generated tokens
    private readonly int[] _distinct;      // (vocab) ids with _inContext set, first _distinctCount valid
    private readonly HashSet<int> _stopIds;
    private int _distinctCount;
    private SamplingRng _rng;

    public Sampler(SamplingOptions options, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (vocabSize <= 0) throw new DssException($"sampling: vocabulary size must be > 0, got {vocabSize}");
        foreach (int id in options.StopTokenIds)
            if (id >= vocabSize) throw new DssException($"sampling: stop token id {id} is outside the vocabulary of {vocabSize} tokens");
        Options = options;
        VocabSize = vocabSize;
        Seed = options.Seed is int s ? (ulong)(long)s : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        _rng = new SamplingRng(Seed);
        _work = new float[vocabSize];
        _keys = new long[vocabSize];
        _inContext = new bool[vocabSize];
        _generatedCount = new int[vocabSize];
        _distinct = new int[vocabSize];
        _stopIds = [.. options.StopTokenIds];
    }

    public SamplingOptions Options { get; }

    /// <summary>Length of every logit row this sampler takes.</summary>
    public int VocabSize { get; }

    /// <summary>The generator seed in use: the option's seed sign-extended to 64 bits, or a random one.</summary>
    public ulong Seed { get; }

    /// <summary>Tokens accepted so far, prompt and generated.</summary>
    public int ContextLength { get; private set; }

    /// <summary>Generated tokens accepted so far.</summary>
    public int GeneratedCount { get; private set; }

    /// <summary>How often <paramref name="token"/> has been generated (prompt tokens not counted).</summary>
    public int CountOf(int token) => _generatedCount[CheckToken(token)];

    /// <summary>Whether <paramref name="token"/> is one of the options' stop token ids.</summary>
    public bool IsStopToken(int token) => _stopIds.Contains(token);

    /// <summary>Record prompt tokens: they count for the repetition penalty, not for presence/frequency.</summary>
    public void AcceptPrompt(ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens) Remember(CheckToken(t));
        ContextLength += tokens.Length;
    }

    /// <summary>Record one generated token (the one just sampled, or one chosen elsewhere).</summary>
    public void Accept(int token)
    {
        Remember(CheckToken(token));
        _generatedCount[token]++;
        ContextLength++;
        GeneratedCount++;
    }

    /// <summary>Forget the sequence (to rewind: clear, then feed the kept prefix again). The generator state is kept.</summary>
    public void ClearHistory()
    {
        for (int i = 0; i < _distinctCount; i++)
        {
            _inContext[_distinct[i]] = false;
            _generatedCount[_distinct[i]] = 0;
        }
        _distinctCount = 0;
        ContextLength = 0;
        GeneratedCount = 0;
    }

    /// <summary>Back to the state right after construction: no history, generator re-seeded with <see cref="Seed"/>.</summary>
    public void Reset()
    {
        ClearHistory();
        _rng = new SamplingRng(Seed);
    }

    /// <summary>
    /// In place: the repetition penalty on every token of prompt and generated text (logit &gt; 0 divided by it,
    /// otherwise multiplied), then logit[j] -= presence * (count[j] &gt; 0) + frequency * count[j] over generated counts.
    /// </summary>
    public void ApplyPenalties(Span<float> logits)
    {
        CheckRow(logits.Length);
        float rep = (float)Options.RepetitionPenalty;
        float presence = (float)Options.PresencePenalty;
        float frequency = (float)Options.FrequencyPenalty;
        if (rep == 1 && presence == 0 && frequency == 0) return;
        for (int i = 0; i < _distinctCount; i++)
        {
            int id = _distinct[i];
            float l = logits[id];
            if (rep != 1) l = l > 0 ? l / rep : l * rep;
            int c = _generatedCount[id];
            if (c > 0) l -= presence + frequency * c;
            logits[id] = l;
        }
    }

    /// <summary>
    /// The distribution the next token is drawn from, after penalties, temperature and all filters; excluded
    /// tokens get exactly 0. For greedy options it is one-hot at the argmax. <paramref name="probs"/> may alias
    /// <paramref name="logits"/>. Consumes no random numbers.
    /// </summary>
    public void ComputeProbabilities(ReadOnlySpan<float> logits, Span<float> probs)
    {
        CheckRow(logits.Length);
        CheckRow(probs.Length);
        logits.CopyTo(probs);
        ApplyPenalties(probs);
        if (Options.IsGreedy)
        {
            int top = SamplerFilters.ArgMax(probs);
            probs.Clear();
            probs[top] = 1;
            return;
        }
        int best = SamplerFilters.Softmax(probs, Options.Temperature);
        SamplerFilters.Filter(probs, probs[best], Options.TopK, Options.TopP, Options.MinP, _keys);
    }

    /// <summary>
    /// The next token for this row of logits (vocab). Greedy options return the penalised argmax (ties to the
    /// lowest id) and draw no random number; otherwise exactly one uniform is drawn. Does not call <see cref="Accept"/>.
    /// </summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (Options.IsGreedy)
        {
            CheckRow(logits.Length);
            logits.CopyTo(_work);
            ApplyPenalties(_work);
            return SamplerFilters.ArgMax(_work);
        }
        ComputeProbabilities(logits, _work);
        return SampleFromProbabilities(_work);
    }

    /// <summary><see cref="Sample"/> followed by <see cref="Accept"/> of the result.</summary>
    public int SampleAndAccept(ReadOnlySpan<float> logits)
    {
        int token = Sample(logits);
        Accept(token);
        return token;
    }

    /// <summary>
    /// Draws an index with probability proportional to its weight (need not sum to 1; weights &lt;= 0 or NaN
    /// never win), scanning ids in order with one uniform from this sampler's generator. For example the
    /// residual max(0, p - q) of speculative decoding.
    /// </summary>
    public int SampleFromProbabilities(ReadOnlySpan<float> weights)
    {
        double total = 0;
        foreach (float w in weights)
            if (w > 0) total += w;
        if (!(total > 0) || double.IsInfinity(total)) throw new DssException("sampling: the weights hold no positive finite mass to draw from");
        double target = _rng.NextDouble() * total, cum = 0;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            if (!(w > 0)) continue;
            cum += w;
            last = i;
            if (cum > target) return i;
        }
        return last; // rounding left target at the very top
    }

    /// <summary>A uniform double in [0, 1) from this sampler's generator (e.g. for speculative acceptance).</summary>
    public double NextUniform() => _rng.NextDouble();

    private void Remember(int token)
    {
        if (_inContext[token]) return;
        _inContext[token] = true;
        _distinct[_distinctCount++] = token;
    }

    private int CheckToken(int token) =>
        (uint)token < (uint)VocabSize ? token : throw new DssException($"sampling: token id {token} is outside the vocabulary of {VocabSize} tokens");

    private void CheckRow(int length)
    {
        if (length != VocabSize) throw new DssException($"sampling: expected a row of {VocabSize} values, got {length}");
    }
}
