using System.Diagnostics;
using System.Runtime.CompilerServices;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Inference;

/// <summary>
/// A generation session over one sequence: owns the latent cache and the token history, prefills prompts (reusing a
/// common prefix with the history), samples continuations as an async stream, and can be truncated or reset.
/// With <see cref="Speculative"/> on, the model's MTP module drafts the token after each chosen one and the main
/// model verifies both in one pass (<see cref="MtpDrafter"/>). Not thread-safe: use one per sequence; the
/// <see cref="Transformer"/> is shared read-only.
/// </summary>
public sealed class Generator
{
    /// <summary>Long prompts are prefilled in chunks of this many tokens, bounding the scratch memory.</summary>
    public const int PrefillChunk = 256;

    private readonly List<int> _tokens = new();
    private float[]? _lastLogits; // (vocab) after the last token of _tokens
    private readonly float[] _logits; // (vocab) reused by plain decode steps: no allocation per token

    public Transformer Model { get; }
    public LatentCache Cache { get; }
    public int ContextLength => Cache.Capacity;
    public IReadOnlyList<int> Tokens => _tokens;
    public AttentionMode AttentionMode { get; set; } = AttentionMode.Auto;

    /// <summary>The MTP drafter when speculative decoding is on, else null.</summary>
    public MtpDrafter? Drafter { get; }
    public bool Speculative => Drafter is not null;

    /// <param name="speculative">MTP speculative decoding: null = on when the checkpoint has MTP layers.</param>
    public Generator(Transformer model, int? contextLength = null, CacheDType cacheDType = CacheDType.BF16, bool? speculative = null)
    {
        Model = model;
        int max = model.Config.MaxPositionEmbeddings;
        int ctx = contextLength ?? max;
        if (ctx <= 0) throw new DssException($"context length must be positive, got {ctx}");
        if (ctx > max) throw new DssException($"context length {ctx} exceeds the model's max_position_embeddings ({max})");
        Cache = model.NewCache(ctx, cacheDType);
        _logits = new float[model.Config.VocabSize];
        if (speculative == true && model.Mtp.Length == 0)
            throw new DssException("speculative decoding needs MTP layers (model.layers.{num_hidden_layers}.*), which this checkpoint lacks");
        if (speculative ?? model.Mtp.Length > 0) Drafter = new MtpDrafter(model, ctx, cacheDType);
    }

    /// <summary>Forgets everything.</summary>
    public void Reset()
    {
        _tokens.Clear();
        Cache.Reset();
        Drafter?.Truncate(0);
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
        Drafter?.Truncate(length);
        _lastLogits = null;
    }

    /// <summary>Runs tokens through the model after the current history; returns the logits (vocab) of the last one.</summary>
    public float[] Append(ReadOnlySpan<int> tokens, CancellationToken ct = default) => Append(tokens, allLogits: false, ct);

    private float[] Append(ReadOnlySpan<int> tokens, bool allLogits, CancellationToken ct = default)
    {
        if (tokens.Length == 0) return LastLogits();
        if (_tokens.Count + tokens.Length > ContextLength)
            throw new DssException($"prompt too long: {_tokens.Count + tokens.Length} tokens exceed the context of {ContextLength}");
        int V = Model.Config.VocabSize, dim = Model.Config.HiddenSize;
        foreach (var t in tokens)
            if ((uint)t >= (uint)V) throw new DssException($"token id {t} is outside the vocabulary (0..{V - 1})");
        float[]? logits = null;
        for (int i = 0; i < tokens.Length; i += PrefillChunk)
        {
            ct.ThrowIfCancellationRequested();
            var chunk = tokens.Slice(i, Math.Min(PrefillChunk, tokens.Length - i));
            if (Drafter is null && !allLogits)
            {
                Model.ForwardLast(chunk, Cache, _logits, AttentionMode); // into the reused buffer
                logits = _logits;
            }
            else
            {
                var hidden = Drafter is null ? null : new float[chunk.Length * dim]; // (T, dim) after model.norm
                logits = Model.Forward(chunk, _tokens.Count, Cache, AttentionMode, lastOnly: !allLogits, finalNorm: hidden);
                if (hidden is not null) Drafter!.StoreHidden(_tokens.Count, hidden);
            }
            foreach (var t in chunk) _tokens.Add(t);
        }
        _lastLogits = allLogits ? logits.AsSpan(logits!.Length - V).ToArray() : logits;
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
        bool IsStop(int t) => t == eos || sampler.IsStopToken(t);
        int max = options.MaxNewTokens ?? int.MaxValue;
        sw.Restart();
        try
        {
            if (max == 0) { stats.FinishReason = FinishReason.Length; yield break; }
            int next = sampler.SampleAndAccept(logits); // chosen, not yet run through the model
            while (true)
            {
                if (IsStop(next)) { stats.FinishReason = FinishReason.Stop; yield break; }
                stats.GeneratedTokens++;
                yield return next;
                if (ct.IsCancellationRequested) { stats.FinishReason = FinishReason.Cancelled; yield break; }
                if (stats.GeneratedTokens >= max || _tokens.Count >= ContextLength) { stats.FinishReason = FinishReason.Length; yield break; }
                await Task.Yield();

                if (Drafter is not null && _tokens.Count + 2 <= ContextLength)
                {
                    // Draft the token after `next` with MTP, verify [next, draft] in one main-model pass.
                    var (draft, q) = Drafter.Draft(_tokens, next, sampler);
                    var both = Append(new[] { next, draft }, allLogits: true, ct); // (2, vocab)
                    int V = Model.Config.VocabSize;
                    var pAt = both.AsSpan(0, V);
                    stats.MainSteps++;
                    stats.DraftedTokens++;
                    int verdict = Drafter.Verify(pAt, draft, q, sampler);
                    if (verdict == draft)
                    {
                        stats.AcceptedDrafts++;
                        if (IsStop(draft)) { Truncate(_tokens.Count - 1); stats.FinishReason = FinishReason.Stop; yield break; }
                        sampler.Accept(draft);
                        stats.GeneratedTokens++;
                        yield return draft;
                        if (ct.IsCancellationRequested) { stats.FinishReason = FinishReason.Cancelled; yield break; }
                        if (stats.GeneratedTokens >= max) { stats.FinishReason = FinishReason.Length; yield break; }
                        next = sampler.SampleAndAccept(both.AsSpan(V, V));
                    }
                    else
                    {
                        Truncate(_tokens.Count - 1); // drop the rejected draft from the caches
                        _lastLogits = pAt.ToArray();
                        sampler.Accept(verdict);
                        next = verdict;
                    }
                }
                else
                {
                    logits = Append(new[] { next });
                    stats.MainSteps++;
                    next = sampler.SampleAndAccept(logits);
                }
            }
        }
        finally
        {
            stats.DecodeTime = sw.Elapsed;
        }
    }
}
