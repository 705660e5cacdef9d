using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// The DeepSeek-V2/V3 decoder (model.py's Transformer): embed -> layers -> norm -> head, plus the MTP modules
/// kept for speculative decoding and training. Weights stay in their stored dtype (memory-mapped).
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

    public static Transformer Load(string dir)
    {
        var config = ModelConfig.Load(dir);
        var ck = Checkpoint.Open(dir);
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
        int T = tokens.Length, dim = Config.HiddenSize;
        if (T == 0) throw new DssException("no tokens to run");
        if (startPos != cache.Length) throw new DssException($"cache holds {cache.Length} tokens but the forward starts at position {startPos}");
        if (startPos + T > cache.Capacity)
            throw new DssException($"context overflow: {startPos + T} tokens exceed the context of {cache.Capacity}");
        Rope.EnsurePositions(startPos + T);

        var x = Embed.Forward(tokens); // (T, dim)
        capture?.Hidden.Add((float[])x.Clone());
        for (int l = 0; l < Layers.Length; l++)
        {
            Layers[l].Forward(x, T, startPos, cache.Layer(l), mode, capture);
            capture?.Hidden.Add((float[])x.Clone());
        }
        cache.SetLength(startPos + T);
        Norm.Forward(x, x);
        if (capture is not null) capture.FinalNorm = (float[])x.Clone();
        if (finalNorm is not null) x.AsSpan(0, T * dim).CopyTo(finalNorm);
        if (lastOnly) return Head.Forward(x.AsSpan((T - 1) * dim, dim), 1);
        return Head.Forward(x, T);
    }

    public void Dispose() => Weights.Dispose();
}
