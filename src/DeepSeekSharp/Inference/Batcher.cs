using System.Runtime.CompilerServices;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Inference;

/// <summary>
/// Continuous batching over one model. A background loop runs one forward pass per step for every active sequence
/// together (<see cref="Transformer.ForwardBatch"/>: one pass over the weights, each sequence with its own latent
/// cache and position). Sequences join and leave between steps; newcomers are prefilled in chunks of
/// <see cref="BatcherOptions.PrefillChunk"/> tokens alongside the running decodes. A request is admitted when a
/// batch slot is free and its cache fits the memory budget; until then it waits in a bounded FIFO queue, and
/// beyond that it is refused with <see cref="BatcherQueueFullException"/>. Safe for concurrent callers.
/// Greedy output of a sequence does not depend on what else runs in its steps.
/// </summary>
public sealed class Batcher : IDisposable
{
    private readonly object _lock = new();
    private readonly LinkedList<Sequence> _queue = new();   // waiting, FIFO (guarded by _lock)
    private readonly List<Sequence> _active = new();        // admitted, in admission order (guarded by _lock)
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _loop;
    private long _bytesInUse, _steps, _promptTokens, _generatedTokens, _completed, _cancelled, _failed, _refused, _drafted, _accepted;
    private volatile bool _disposed;

    public Batcher(Transformer model, BatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Options = options ?? new BatcherOptions();
        int max = model.Config.MaxPositionEmbeddings;
        ContextLength = Options.ContextLength ?? max;
        if (ContextLength <= 0) throw new DssException($"context length must be positive, got {ContextLength}");
        if (ContextLength > max) throw new DssException($"context length {ContextLength} exceeds the model's max_position_embeddings ({max})");
        if (Options.MaxBatch <= 0) throw new DssException($"max batch must be positive, got {Options.MaxBatch}");
        if (Options.MaxQueue < 0) throw new DssException($"max queue must be >= 0, got {Options.MaxQueue}");
        if (Options.PrefillChunk <= 0) throw new DssException($"prefill chunk must be positive, got {Options.PrefillChunk}");
        var c = model.Config;
        CacheBytesPerToken = (long)(c.KvLoraRank + c.QkRopeHeadDim) * c.NumHiddenLayers * (Options.CacheDType == CacheDType.BF16 ? 2 : 4);
        Speculative = Options.Speculative ?? model.Mtp.Length > 0;
        if (Speculative && model.Mtp.Length == 0)
            throw new DssException("speculative decoding needs MTP layers (model.layers.{num_hidden_layers}.*), which this checkpoint lacks");
        // A speculating sequence also keeps the MTP module's one-layer cache and the main hidden states per token.
        if (Speculative)
            CacheBytesPerToken += (long)(c.KvLoraRank + c.QkRopeHeadDim) * (Options.CacheDType == CacheDType.BF16 ? 2 : 4) + 4L * c.HiddenSize;
        CacheBudgetBytes = Options.CacheBudgetBytes ?? CacheBytesPerToken * ContextLength * Options.MaxBatch;
        if (CacheBudgetBytes < CacheBytesPerToken)
            throw new DssException($"cache budget of {CacheBudgetBytes} bytes holds not even one token ({CacheBytesPerToken} bytes per token)");
        _loop = new Thread(Run) { IsBackground = true, Name = "dss-batcher" };
        _loop.Start();
    }

    public Transformer Model { get; }
    public BatcherOptions Options { get; }

    /// <summary>Most tokens (prompt + generated) of one sequence.</summary>
    public int ContextLength { get; }

    public long CacheBudgetBytes { get; }
    public long CacheBytesPerToken { get; }

    /// <summary>Whether sequences decode speculatively with the MTP module.</summary>
    public bool Speculative { get; }

    /// <summary>Test seam: sees each step's batch on the loop thread before its forward pass (and may pace steps).</summary>
    internal Action<IReadOnlyList<BatchItem>>? BeforeStep { get; set; }

    /// <summary>
    /// Queues the prompt and streams its sampled tokens as the shared steps produce them. Ends at an
    /// end-of-sequence or stop token (not yielded), after max new tokens, or when the context is full; the reason
    /// lands in <paramref name="stats"/>. Throws <see cref="BatcherQueueFullException"/> when the queue is full,
    /// <see cref="DssException"/> for a prompt that cannot run, and <see cref="OperationCanceledException"/> when
    /// <paramref name="ct"/> fires; cancelling or abandoning the enumeration frees the sequence's cache before the next step.
    /// </summary>
    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> prompt, SamplingOptions options, GenerationStats? stats = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var seq = Submit(prompt, options, stats ?? new GenerationStats());
        try
        {
            using var reg = ct.Register(() => Cancel(seq));
            var reader = seq.Output.Reader;
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out int token)) yield return token;
            }
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            Cancel(seq);
        }
    }

    /// <summary>State and counters now.</summary>
    public BatcherMetrics GetMetrics()
    {
        lock (_lock)
        {
            return new BatcherMetrics(_queue.Count, _active.Count, _bytesInUse, CacheBudgetBytes, _steps, _promptTokens,
                _generatedTokens, _completed, _cancelled, _failed, _refused, _drafted, _accepted);
        }
    }

    private Sequence Submit(IReadOnlyList<int> prompt, SamplingOptions options, GenerationStats stats)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (prompt.Count == 0) throw new DssException("the prompt is empty");
        if (prompt.Count > ContextLength)
            throw new DssException($"prompt too long: {prompt.Count} tokens exceed the context of {ContextLength}");
        int V = Model.Config.VocabSize;
        var tokens = prompt.ToArray();
        foreach (int t in tokens)
            if ((uint)t >= (uint)V) throw new DssException($"token id {t} is outside the vocabulary (0..{V - 1})");
        var sampler = new Sampler(options, V);
        sampler.AcceptPrompt(tokens);
        long want = (long)tokens.Length + (options.MaxNewTokens ?? ContextLength);
        int capacity = (int)Math.Min(ContextLength, want);
        long bytes = CacheBytesPerToken * capacity;
        if (bytes > CacheBudgetBytes)
            throw new DssException($"request needs {bytes} bytes of latent cache ({capacity} tokens), more than the whole budget of {CacheBudgetBytes}; ask for fewer tokens");
        stats.PromptTokens = tokens.Length;
        var seq = new Sequence(tokens, options, sampler, capacity, bytes, stats);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_queue.Count >= Options.MaxQueue && !CanAdmitNow(seq))
            {
                _refused++;
                throw new BatcherQueueFullException(Options.MaxQueue);
            }
            seq.QueueNode = _queue.AddLast(seq);
        }
        _wake.Release();
        return seq;
    }

    // Whether seq would be admitted at the next step without waiting (then a full queue does not refuse it).
    private bool CanAdmitNow(Sequence seq) =>
        _queue.Count == 0 && _active.Count < Options.MaxBatch && _bytesInUse + seq.Bytes <= CacheBudgetBytes;

    /// <summary>Called by the caller's side: a queued sequence leaves at once, an active one before the next step.</summary>
    private bool Cancel(Sequence seq)
    {
        lock (_lock)
        {
            if (seq.Finished) return false;
            if (seq.QueueNode is { } node)
            {
                _queue.Remove(node);
                seq.QueueNode = null;
                seq.Finished = true;
                seq.Stats.FinishReason = FinishReason.Cancelled;
                _cancelled++;
                seq.Output.Writer.TryComplete();
                return true;
            }
            seq.CancelRequested = true;
        }
        _wake.Release();
        return true;
    }

    private void Run()
    {
        var items = new List<BatchItem>();
        var owners = new List<Sequence>();
        while (true)
        {
            List<Sequence> admitted;
            lock (_lock)
            {
                if (_disposed) break;
                foreach (var s in _active.ToArray())
                    if (s.CancelRequested) EndLocked(s, FinishReason.Cancelled, null);
                admitted = AdmitLocked();
            }
            foreach (var s in admitted) Allocate(s);

            items.Clear();
            owners.Clear();
            CollectStep(items, owners);
            if (items.Count == 0)
            {
                _wake.Wait();
                continue;
            }
            Step(items, owners);
        }
        FailAll(new DssException("the batcher was shut down"));
    }

    // Moves waiting sequences (FIFO) into the batch while slots and cache budget allow.
    private List<Sequence> AdmitLocked()
    {
        var admitted = new List<Sequence>();
        while (_queue.First is { } node && _active.Count < Options.MaxBatch && _bytesInUse + node.Value.Bytes <= CacheBudgetBytes)
        {
            _queue.RemoveFirst();
            var s = node.Value;
            s.QueueNode = null;
            _active.Add(s);
            _bytesInUse += s.Bytes;
            admitted.Add(s);
        }
        return admitted;
    }

    private void Allocate(Sequence s)
    {
        try
        {
            s.Cache = Model.NewCache(s.Capacity, Options.CacheDType);
            if (Speculative) s.Drafter = new MtpDrafter(Model, s.Capacity, Options.CacheDType);
            s.Clock.Start();
        }
        catch (OutOfMemoryException)
        {
            lock (_lock) EndLocked(s, null, new DssException($"out of memory allocating a latent cache of {s.Bytes} bytes; lower --max-batch or --ctx"));
        }
    }

    // Decoding sequences feed their pending token; prefilling ones a chunk each while the step's prefill budget lasts.
    private void CollectStep(List<BatchItem> items, List<Sequence> owners)
    {
        Sequence[] active;
        lock (_lock) active = _active.ToArray();
        int prefillBudget = Options.PrefillChunk;
        foreach (var s in active)
        {
            if (s.Cache is null || s.CancelRequested) continue;
            if (s.IsPrefilling)
            {
                int n = Math.Min(Options.PrefillChunk, s.Prompt.Length - s.Prefilled);
                if (n > prefillBudget) continue;
                prefillBudget -= n;
                items.Add(new BatchItem(s.Cache, s.Prompt.AsSpan(s.Prefilled, n).ToArray(), FinalNorm: HiddenFor(s, n)));
            }
            else if (s.Drafter is not null && s.Cache.Length + 2 <= s.Cache.Capacity)
            {
                // Draft the token after the pending one; the shared step verifies both.
                var (draft, q) = s.Drafter.Draft(s.History, s.PendingToken, s.Sampler);
                s.Draft = draft;
                s.DraftQ = q;
                items.Add(new BatchItem(s.Cache, new[] { s.PendingToken, draft }, AllLogits: true, FinalNorm: HiddenFor(s, 2)));
            }
            else
            {
                s.Draft = -1;
                items.Add(new BatchItem(s.Cache, new[] { s.PendingToken }, FinalNorm: HiddenFor(s, 1)));
            }
            owners.Add(s);
        }
    }

    // Main-model hidden states after model.norm for a speculating sequence's tokens of this step: (n, dim).
    private float[]? HiddenFor(Sequence s, int n) => s.Drafter is null ? null : new float[n * Model.Config.HiddenSize];

    private void Step(List<BatchItem> items, List<Sequence> owners)
    {
        float[][] logits;
        try
        {
            BeforeStep?.Invoke(items);
            logits = Model.ForwardBatch(items);
        }
        catch (Exception e)
        {
            var err = e as DssException ?? new DssException($"the forward pass failed: {e.Message}", e);
            lock (_lock)
                foreach (var s in owners) EndLocked(s, null, err);
            return;
        }
        lock (_lock) _steps++;
        for (int i = 0; i < owners.Count; i++)
        {
            var s = owners[i];
            if (s.Drafter is not null)
            {
                s.Drafter.StoreHidden(s.History.Count, items[i].FinalNorm);
                s.History.AddRange(items[i].Tokens);
            }
            if (!s.IsPrefilling) s.Stats.MainSteps++;
            if (s.IsPrefilling)
            {
                s.Prefilled += items[i].Tokens.Length;
                Interlocked.Add(ref _promptTokens, items[i].Tokens.Length);
                if (s.IsPrefilling) continue;
                s.Stats.PrefillTime = s.Clock.Elapsed;
                s.Clock.Restart();
            }
            if (s.Draft >= 0) AdvanceSpeculative(s, logits[i]);
            else Advance(s, logits[i]);
        }
    }

    // After verifying [pending, draft]: hand out the draft when the main model accepts it (then sample from the
    // logits after it), else roll the caches back to the pending token and hand out the main model's own choice.
    private void AdvanceSpeculative(Sequence s, float[] logits)
    {
        int V = Model.Config.VocabSize, draft = s.Draft;
        s.Draft = -1;
        if (s.CancelRequested) { lock (_lock) EndLocked(s, FinishReason.Cancelled, null); return; }
        s.Stats.DraftedTokens++;
        Interlocked.Increment(ref _drafted);
        int verdict = s.Drafter!.Verify(logits.AsSpan(0, V), draft, s.DraftQ!, s.Sampler);
        if (verdict == draft)
        {
            s.Stats.AcceptedDrafts++;
            Interlocked.Increment(ref _accepted);
            if (IsStop(s, draft)) RollBackOne(s);
            s.Sampler.Accept(draft);
            if (!Emit(s, draft)) return;
            Advance(s, logits.AsSpan(V, V).ToArray());
        }
        else
        {
            RollBackOne(s);
            s.Sampler.Accept(verdict);
            Emit(s, verdict);
        }
    }

    private static void RollBackOne(Sequence s)
    {
        int n = s.Cache!.Length - 1;
        s.Cache.Truncate(n);
        s.Drafter!.Truncate(n);
        s.History.RemoveAt(s.History.Count - 1);
    }

    private bool IsStop(Sequence s, int token) => token == Model.Config.EosTokenId || s.Sampler.IsStopToken(token);

    // With the logits after the sequence's last token: sample the next one, hand it out, or end the sequence.
    private void Advance(Sequence s, float[] logits)
    {
        int max = s.Options.MaxNewTokens ?? int.MaxValue;
        FinishReason? end = null;
        if (s.CancelRequested) end = FinishReason.Cancelled;
        else if (s.Stats.GeneratedTokens >= max) end = FinishReason.Length;
        if (end is { } early)
        {
            lock (_lock) EndLocked(s, early, null);
            return;
        }
        Emit(s, s.Sampler.SampleAndAccept(logits));
    }

    // Hands out a chosen (and accepted) token as the next pending one, or ends the sequence; false when it ended.
    private bool Emit(Sequence s, int next)
    {
        int max = s.Options.MaxNewTokens ?? int.MaxValue;
        FinishReason? end = null;
        if (IsStop(s, next)) end = FinishReason.Stop;
        else
        {
            s.Stats.GeneratedTokens++;
            Interlocked.Increment(ref _generatedTokens);
            s.Output.Writer.TryWrite(next);
            s.PendingToken = next;
            if (s.Stats.GeneratedTokens >= max || s.Cache!.Length >= s.Cache.Capacity) end = FinishReason.Length;
        }
        if (end is not { } reason) return true;
        lock (_lock) EndLocked(s, reason, null);
        return false;
    }

    // Ends an active sequence: frees its cache and budget, completes its output.
    private void EndLocked(Sequence s, FinishReason? reason, Exception? error)
    {
        if (s.Finished) return;
        s.Finished = true;
        if (_active.Remove(s)) _bytesInUse -= s.Bytes;
        s.Cache = null;
        s.Drafter = null;
        s.Stats.FinishReason = reason;
        if (s.Clock.IsRunning) s.Stats.DecodeTime = s.Clock.Elapsed;
        if (error is not null) _failed++;
        else if (reason == FinishReason.Cancelled) _cancelled++;
        else _completed++;
        s.Output.Writer.TryComplete(error);
    }

    private void FailAll(Exception error)
    {
        lock (_lock)
        {
            foreach (var s in _active.ToArray()) EndLocked(s, null, error);
            while (_queue.First is { } node)
            {
                _queue.RemoveFirst();
                node.Value.QueueNode = null;
                node.Value.Finished = true;
                _failed++;
                node.Value.Output.Writer.TryComplete(error);
            }
        }
    }

    /// <summary>Stops the loop after its current step; waiting and running requests fail with a clear error.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _wake.Release();
        _loop.Join();
    }
}
