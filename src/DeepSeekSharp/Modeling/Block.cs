using DeepSeekSharp.Inference;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>A decoder layer (model.py's Block): x += attn(attn_norm(x)); x += ffn(ffn_norm(x)), ffn a dense MLP or MoE.</summary>
public sealed class Block
{
    public int LayerId { get; }
    public RmsNorm AttnNorm { get; }
    public Mla Attn { get; }
    public RmsNorm FfnNorm { get; }
    public Mlp? Mlp { get; }
    public Moe? Moe { get; }

    public Block(ModelWeights w, int layer, Rope rope)
    {
        var c = w.Config;
        LayerId = layer;
        AttnNorm = RmsNorm.Load(w, HfNames.AttnNorm(layer), c.HiddenSize);
        Attn = new Mla(w, layer, rope);
        FfnNorm = RmsNorm.Load(w, HfNames.FfnNorm(layer), c.HiddenSize);
        if (c.IsMoeLayer(layer)) Moe = new Moe(w, layer);
        else Mlp = new Mlp(w, HfNames.DenseMlp(layer), c.HiddenSize, c.IntermediateSize);
    }

    /// <summary>x: (T, dim), updated in place.</summary>
    public void Forward(float[] x, int T, int startPos, LayerCache cache, AttentionMode mode, ForwardCapture? capture = null)
    {
        var seg = new SegmentSlice(0, T, startPos, cache);
        Forward(x, T, new ReadOnlySpan<SegmentSlice>(in seg), mode, capture);
    }

    /// <summary>x: (rows, dim) of one or several sequences (see <see cref="SegmentSlice"/>), updated in place.</summary>
    public void Forward(float[] x, int T, ReadOnlySpan<SegmentSlice> segments, AttentionMode mode, ForwardCapture? capture = null)
    {
        int dim = AttnNorm.Dim;
        using var h = new PooledBuffer<float>(T * dim); // (T, dim) normed input of attention, then of the FFN
        using var a = new PooledBuffer<float>(T * dim); // (T, dim) attention output, then FFN output
        AttnNorm.Forward(x.AsSpan(0, T * dim), h.Span);
        Attn.Forward(h.Span, T, segments, mode, a.Span);
        Ops.Axpy(1f, a.Span, x.AsSpan(0, T * dim));
        FfnNorm.Forward(x.AsSpan(0, T * dim), h.Span);
        if (Moe is not null)
        {
            int k = Moe.Gate.TopK;
            int[]? idx = capture is null ? null : new int[T * k];
            float[]? wts = capture is null ? null : new float[T * k];
            Moe.Forward(h.Array, T, a.Span, idx, wts);
            if (capture is not null)
            {
                capture.TopkIdx[LayerId] = idx!;
                capture.TopkWeight[LayerId] = wts!;
            }
        }
        else
        {
            Mlp!.Forward(h.Array, a.Array, T);
        }
        Ops.Axpy(1f, a.Span, x.AsSpan(0, T * dim));
    }
}
