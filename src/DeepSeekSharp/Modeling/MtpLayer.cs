using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// A Multi-Token Prediction module at model.layers.{num_hidden_layers + k}: for position i,
/// x = eh_proj(concat(enorm(embed(token[i+1])), hnorm(h[i]))), one full decoder layer over the MTP positions
/// (RoPE position = i), then shared_head.norm and shared_head.head; logits[i] predict token i+2.
/// </summary>
public sealed class MtpLayer
{
    public int LayerId { get; }
    public Embedding Embed { get; }
    public RmsNorm ENorm { get; }
    public RmsNorm HNorm { get; }
    public Linear EhProj { get; }
    public Block Block { get; }
    public RmsNorm HeadNorm { get; }
    public Linear Head { get; }

    public MtpLayer(ModelWeights w, int layer, Rope rope, Embedding mainEmbed, Linear mainHead)
    {
        var c = w.Config;
        int dim = c.HiddenSize;
        LayerId = layer;
        // Released checkpoints carry copies of the embedding and head here; they are shared with the main model.
        Embed = w.Has(HfNames.MtpEmbed(layer)) ? new Embedding(w.Matrix(HfNames.MtpEmbed(layer), c.VocabSize, dim)) : mainEmbed;
        ENorm = RmsNorm.Load(w, HfNames.MtpENorm(layer), dim);
        HNorm = RmsNorm.Load(w, HfNames.MtpHNorm(layer), dim);
        EhProj = Linear.Load(w, HfNames.MtpEhProj(layer), dim, 2 * dim);
        Block = new Block(w, layer, rope);
        HeadNorm = RmsNorm.Load(w, HfNames.MtpHeadNorm(layer), dim);
        Head = w.Has(HfNames.MtpHead(layer)) ? Linear.Load(w, HfNames.MtpHead(layer), c.VocabSize, dim) : mainHead;
    }

    /// <summary>
    /// nextTokens: (T) the tokens at i+1; hidden: (T, dim) the previous stage's hidden states at i (the main model's
    /// after model.norm). Positions [startPos, startPos + T) of this module's one-layer cache. Returns logits
    /// (T, vocab), or (1, vocab) of the last row when lastOnly, and the module's output hidden states (T, dim) before
    /// shared_head.norm, which a further depth takes as its input (as vLLM chains them).
    /// </summary>
    public (float[] Logits, float[] Hidden) Forward(ReadOnlySpan<int> nextTokens, ReadOnlySpan<float> hidden, int startPos, LayerCache cache,
        AttentionMode mode = AttentionMode.Auto, bool lastOnly = false)
    {
        int T = nextTokens.Length, dim = ENorm.Dim;
        var e = ENorm.Forward(Embed.Forward(nextTokens));
        var h = HNorm.Forward(hidden);
        var cat = new float[T * 2 * dim]; // (T, 2 dim): [enorm(embed), hnorm(hidden)]
        for (int t = 0; t < T; t++)
        {
            e.AsSpan(t * dim, dim).CopyTo(cat.AsSpan(t * 2 * dim, dim));
            h.AsSpan(t * dim, dim).CopyTo(cat.AsSpan(t * 2 * dim + dim, dim));
        }
        var x = EhProj.Forward(cat, T);
        Block.Forward(x, T, startPos, cache, mode);
        var rows = lastOnly ? x.AsSpan((T - 1) * dim, dim) : x.AsSpan();
        var normed = HeadNorm.Forward(rows);
        return (Head.Forward(normed, lastOnly ? 1 : T), x);
    }
}
