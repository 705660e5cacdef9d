using System.Diagnostics;
using System.Runtime.CompilerServices;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Inference;

/// <summary>
/// A generation session over one sequence: owns the latent cache and the token history, prefills prompts (reusing a
/// common prefix with the history), samples continuations as an async stream, and can be truncated or reset.
/// Not thread-safe: use one per sequence; the <see cref="Transformer"/> is shared read-only.
/// </summary>
public sealed class Generator
{
    /// <summary>Long prompts are prefilled in chunks of this many tokens, bounding the scratch memory.</summary>
    public const int PrefillChunk = 256;

    private readonly List<int> _tokens = new();
    private float[]? _lastLogits; // (vocab) after the last token of _tokens

    public Transformer Model { get; }
    public LatentCache Cache { get; }
    public int ContextLength => Cache.Capacity;
    public IReadOnlyList<int> Tokens => _tokens;
    public AttentionMode AttentionMode { get; set; } = AttentionMode.Auto;

    public Generator(Transformer model, int? contextLength = null, CacheDType cacheDType = CacheDType.BF16)
    {
        Model = model;
        int max = model.Config.MaxPositionEmbeddings;
        int ctx = contextLength ?? max;
        if (ctx <= 0) throw new DssException($"context length must be positive, got {ctx}");
        if (ctx > max) throw new DssException($"context length {ctx} exceeds the model's max_position_embeddings ({max})");
        Cache = model.NewCache(ctx, cacheDType);
    }

    /// <summary>Forgets everything.</summary>
    public void Reset()
    {
        _tokens.Clear();
        Cache.Reset();
        _lastLogits = null;
    }

    /// <summary>Rewinds to the first <paramref name="length"/> tokens (the cache keeps that prefix).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > _tokens.Count)
            throw new DssException($"cannot truncate a sequence of {_tokens.Count} tokens to {length}");
        if (length == _tokens.Count) return;
        _tokens.RemoveRange(length, _tokens.Count - length);
        Cache.Truncate(length);
        _lastLogits = null;
    }

    /// <summary>Runs tokens through the model after the current history; returns the logits (vocab) of the last one.</summary>
    public float[] Append(ReadOnlySpan<int> tokens, CancellationToken ct = default)
    {
        if (tokens.Length == 0) return LastLogits();
        if (_tokens.Count + tokens.Length > ContextLength)
            throw new DssException($"prompt too long: {_tokens.Count + tokens.Length} tokens exceed the context of {ContextLength}");
        int V = Model.Config.VocabSize;
        foreach (var t in tokens)
            if ((uint)t >= (uint)V) throw new DssException($"token id {t} is outside the vocabulary (0..{V - 1})");
        float[]? logits = null;
        for (int i = 0; i < tokens.Length; i += PrefillChunk)
        {
            ct.ThrowIfCancellationRequested();
            var chunk = tokens.Slice(i, Math.Min(PrefillChunk, tokens.Length - i));
            logits = Model.Forward(chunk, _tokens.Count, Cache, AttentionMode, lastOnly: true);
            foreach (var t in chunk) _tokens.Add(t);
        }
        _lastLogits = logits;
        return logits!;
    }

    /// <summary>Logits after the last token, recomputing the last position when a truncation dropped them.</summary>
    public float[] LastLogits()
    {
        if (_lastLogits is not null) return _lastLogits;
        if (_tokens.Count == 0) throw new DssException("the sequence is empty: give a prompt");
        int last = _tokens[^1];
        Truncate(_tokens.Count - 1);
        return Append(new[] { last });
    }

    /// <summary>Length of the common prefix of the history and <paramref name="prompt"/>, keeping at least one new token.</summary>
    public int ReusablePrefix(IReadOnlyList<int> prompt)
    {
        int n = 0;
        while (n < _tokens.Count && n < prompt.Count - 1 && _tokens[n] == prompt[n]) n++;
        return n;
    }

    /// <summary>
    /// Replaces the history with <paramref name="prompt"/> (reusing the cached common prefix) and streams sampled tokens.
    /// Stops at an end-of-sequence or stop token (not yielded), after max new tokens, or when the context is full.
    /// </summary>
    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> prompt, SamplingOptions options, GenerationStats? stats = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        stats ??= new GenerationStats();
        if (prompt.Count == 0) throw new DssException("the prompt is empty");
        if (prompt.Count > ContextLength)
            throw new DssException($"prompt too long: {prompt.Count} tokens exceed the context of {ContextLength}");

        var sw = Stopwatch.StartNew();
        int reuse = ReusablePrefix(prompt);
        Truncate(reuse);
        var rest = new int[prompt.Count - reuse];
        for (int i = 0; i < rest.Length; i++) rest[i] = prompt[reuse + i];
        var logits = Append(rest, ct);
        stats.PromptTokens = prompt.Count;
        stats.CachedPromptTokens = reuse;
        stats.PrefillTime = sw.Elapsed;

        var sampler = new Sampler(options, Model.Config.VocabSize);
        sampler.AcceptPrompt(_tokens.ToArray());
        int? eos = Model.Config.EosTokenId;
        int max = options.MaxNewTokens ?? int.MaxValue;
        sw.Restart();
        try
        {
            while (true)
            {
                if (ct.IsCancellationRequested) { stats.FinishReason = FinishReason.Cancelled; yield break; }
                if (stats.GeneratedTokens >= max) { stats.FinishReason = FinishReason.Length; yield break; }
                int next = sampler.SampleAndAccept(logits);
                if (next == eos || sampler.IsStopToken(next)) { stats.FinishReason = FinishReason.Stop; yield break; }
                stats.GeneratedTokens++;
                yield return next;
                if (_tokens.Count >= ContextLength) { stats.FinishReason = FinishReason.Length; yield break; }
                await Task.Yield();
                logits = Append(new[] { next });
            }
        }
        finally
        {
            stats.DecodeTime = sw.Elapsed;
        }
    }
}
