using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// The DeepSeek-V2/V3 decoder (model.py's Transformer): embed -> layers -> norm -> head, plus the MTP modules
/// kept for speculative decoding and training. Weights stay in their stored dtype (resident or memory-mapped).
/// </summary>
public sealed class Transformer : IDisposable
{
    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    public Embedding Embed { get; }
    public Block[] Layers { get; }
    public RmsNorm Norm { get; }
    public Linear Head { get; }
    public Rope Rope { get; }
    public MtpLayer[] Mtp { get; }

    /// <summary>Notes about the checkpoint (e.g. MTP layers named in the config but absent).</summary>
    public List<string> Notes { get; } = new();

    public Transformer(ModelWeights w)
    {
        Weights = w;
        Config = w.Config;
        var c = Config;
        Rope = new Rope(c);
        Embed = new Embedding(w.Matrix(HfNames.Embed, c.VocabSize, c.HiddenSize));
        Layers = new Block[c.NumHiddenLayers];
        for (int l = 0; l < Layers.Length; l++) Layers[l] = new Block(w, l, Rope);
        Norm = RmsNorm.Load(w, HfNames.Norm, c.HiddenSize);
        Head = c.TieWordEmbeddings && !w.Has(HfNames.Head)
            ? new Linear(Embed.Weight)
            : Linear.Load(w, HfNames.Head, c.VocabSize, c.HiddenSize);

        var mtp = new List<MtpLayer>();
        for (int k = 0; k < c.NumNextnPredictLayers; k++)
        {
            int l = c.NumHiddenLayers + k;
            if (!w.Has(HfNames.MtpEhProj(l)))
            {
                Notes.Add($"config names {c.NumNextnPredictLayers} MTP layer(s) but the checkpoint has no model.layers.{l}.eh_proj: MTP disabled");
                break;
            }
            mtp.Add(new MtpLayer(w, l, Rope, Embed, Head));
        }
        Mtp = mtp.ToArray();
    }

    /// <summary>Loads a model folder; residence: weights read into 2 MiB-page memory or mapped (Auto: memory when they fit).</summary>
    public static Transformer Load(string dir, WeightResidence residence = WeightResidence.Auto)
    {
        var config = ModelConfig.Load(dir);
        var ck = Checkpoint.Open(dir, residence);
        try
        {
            return new Transformer(new ModelWeights(ck, config));
        }
        catch
        {
            ck.Dispose();
            throw;
        }
    }

    public LatentCache NewCache(int capacity, CacheDType dtype = CacheDType.BF16) => LatentCache.For(Config, capacity, dtype);

    /// <summary>
    /// Runs tokens at positions [startPos, startPos + T) through the model, appending to the cache.
    /// Returns logits (T, vocab), or (1, vocab) for the last position only when lastOnly.
    /// finalNorm (T, dim), when given, receives the hidden states after model.norm (the MTP input).
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, int startPos, LatentCache cache, AttentionMode mode = AttentionMode.Auto,
        bool lastOnly = false, ForwardCapture? capture = null, float[]? finalNorm = null)
    {
        if (startPos != cache.Length) throw new DssException($"cache holds {cache.Length} tokens but the forward starts at position {startPos}");
        var item = new BatchItem(cache, tokens.ToArray(), AllLogits: !lastOnly, FinalNorm: finalNorm);
        return ForwardBatch(new[] { item }, mode, capture)[0];
    }

    /// <summary>
    /// One forward pass over several sequences (continuous batching, speculative verification): each item's tokens
    /// continue its own cache; the projections and experts see all rows at once, attention runs per sequence.
    /// Returns per item the logits of all its tokens (T, vocab) or of its last token (vocab).
    /// </summary>
    public float[][] ForwardBatch(IReadOnlyList<BatchItem> items, AttentionMode mode = AttentionMode.Auto, ForwardCapture? capture = null)
    {
        int dim = Config.HiddenSize, V = Config.VocabSize;
        if (items.Count == 0) throw new DssException("no sequences to run");
        if (capture is not null && items.Count != 1) throw new ArgumentException("capture needs a single sequence");
        int rows = 0, maxEnd = 0;
        var rowOf = new int[items.Count];
        foreach (var (it, i) in items.Select((it, i) => (it, i)))
        {
            if (it.Tokens.Length == 0) throw new DssException("no tokens to run");
            if (it.Cache.Length + it.Tokens.Length > it.Cache.Capacity)
                throw new DssException($"context overflow: {it.Cache.Length + it.Tokens.Length} tokens exceed the context of {it.Cache.Capacity}");
            if (it.Cache.Layers != Layers.Length) throw new ArgumentException("cache has the wrong number of layers");
            rowOf[i] = rows;
            rows += it.Tokens.Length;
            maxEnd = Math.Max(maxEnd, it.Cache.Length + it.Tokens.Length);
        }
        Rope.EnsurePositions(maxEnd);

        var tokens = new int[rows];
        for (int i = 0; i < items.Count; i++) items[i].Tokens.CopyTo(tokens, rowOf[i]);
        var x = Embed.Forward(tokens); // (rows, dim)
        capture?.Hidden.Add((float[])x.Clone());
        var slices = new SegmentSlice[items.Count];
        for (int l = 0; l < Layers.Length; l++)
        {
            for (int i = 0; i < items.Count; i++)
                slices[i] = new SegmentSlice(rowOf[i], items[i].Tokens.Length, items[i].Cache.Length, items[i].Cache.Layer(l));
            Layers[l].Forward(x, rows, slices, mode, capture);
            capture?.Hidden.Add((float[])x.Clone());
        }
        foreach (var it in items) it.Cache.SetLength(it.Cache.Length + it.Tokens.Length);
        Norm.Forward(x, x);
        if (capture is not null) capture.FinalNorm = (float[])x.Clone();

        // Gather the rows whose logits are wanted and run the head once over them.
        int outRows = 0;
        foreach (var it in items) outRows += it.AllLogits ? it.Tokens.Length : 1;
        var h = new float[outRows * dim]; // (outRows, dim)
        int o = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var it = items[i];
            int T = it.Tokens.Length;
            if (it.FinalNorm is not null) x.AsSpan(rowOf[i] * dim, T * dim).CopyTo(it.FinalNorm);
            int first = it.AllLogits ? 0 : T - 1;
            x.AsSpan((rowOf[i] + first) * dim, (T - first) * dim).CopyTo(h.AsSpan(o * dim));
            o += T - first;
        }
        var logits = Head.Forward(h, outRows); // (outRows, V)
        var result = new float[items.Count][];
        o = 0;
        for (int i = 0; i < items.Count; i++)
        {
            int n = items[i].AllLogits ? items[i].Tokens.Length : 1;
            result[i] = items.Count == 1 ? logits : logits.AsSpan(o * V, n * V).ToArray();
            o += n;
        }
        return result;
    }

    /// <summary>
    /// One sequence without allocating (the decode loop): runs tokens at the cache's end through the model, appends
    /// them to the cache and writes the logits of the last token into logits (vocab). The same operations as
    /// <see cref="Forward"/> with lastOnly; scratch is pooled and the caller owns the output.
    /// </summary>
    internal void ForwardLast(ReadOnlySpan<int> tokens, LatentCache cache, Span<float> logits, AttentionMode mode = AttentionMode.Auto)
    {
        int dim = Config.HiddenSize, T = tokens.Length;
        if (T == 0) throw new DssException("no tokens to run");
        if (logits.Length < Config.VocabSize) throw new ArgumentException($"logits has {logits.Length} values for a vocabulary of {Config.VocabSize}");
        if (cache.Length + T > cache.Capacity)
            throw new DssException($"context overflow: {cache.Length + T} tokens exceed the context of {cache.Capacity}");
        if (cache.Layers != Layers.Length) throw new ArgumentException("cache has the wrong number of layers");
        Rope.EnsurePositions(cache.Length + T);

        using var x = new PooledBuffer<float>(T * dim); // (T, dim) hidden states
        Embed.Forward(tokens, x.Span);
        for (int l = 0; l < Layers.Length; l++)
        {
            var seg = new SegmentSlice(0, T, cache.Length, cache.Layer(l));
            Layers[l].Forward(x.Array, T, new ReadOnlySpan<SegmentSlice>(in seg), mode);
        }
        cache.SetLength(cache.Length + T);
        var last = x.Span.Slice((T - 1) * dim, dim); // (1, dim): RMSNorm is per row, so only the last row is normed
        Norm.Forward(last, last);
        Head.Forward(last, logits[..Config.VocabSize], 1);
    }

    public void Dispose() => Weights.Dispose();
}

/// <summary>One sequence of a batched forward: tokens continue the cache; FinalNorm (T, dim) optionally receives the normed hidden states.</summary>
public sealed record BatchItem(LatentCache Cache, int[] Tokens, bool AllLogits = false, float[]? FinalNorm = null);
