using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Training;

/// <summary>A decoder layer for training: x += attn(attn_norm(x)); x += ffn(ffn_norm(x)), ffn a dense MLP or MoE.</summary>
public sealed class BlockTrain
{
    private readonly ParameterSet _p;
    private readonly ParamTensor _attnNorm, _ffnNorm;
    private readonly int _dim;
    private readonly float _eps;
    private int _T;

    private float[]? _x0;     // (T, dim) input of the layer
    private float[]? _x1;     // (T, dim) after the attention residual
    private float[]? _h;      // (T, dim) normed input of attention / ffn (reused)
    private float[]? _r0, _r1; // (T) rstd of the two norms
    private float[]? _tmp, _dh;

    public int LayerId { get; }
    public MlaTrain Attn { get; }
    public MlpTrain? Mlp { get; }
    public MoeTrain? Moe { get; }

    public BlockTrain(ParameterSet p, int layer, Rope rope, PrecisionPolicy? precision = null)
    {
        _p = p;
        LayerId = layer;
        _dim = p.Config.HiddenSize;
        _eps = (float)p.Config.RmsNormEps;
        _attnNorm = p[HfNames.AttnNorm(layer)];
        _ffnNorm = p[HfNames.FfnNorm(layer)];
        precision ??= new PrecisionPolicy(p);
        Attn = new MlaTrain(p, layer, rope, precision);
        if (p.Config.IsMoeLayer(layer)) Moe = new MoeTrain(p, layer, precision);
        else Mlp = new MlpTrain(p, HfNames.DenseMlp(layer), precision);
    }

    private ReadOnlySpan<float> W(ParamTensor t) => _p.Data.AsSpan((int)t.Offset, t.Length);
    private Span<float> G(ParamTensor t) => _p.Grad.AsSpan((int)t.Offset, t.Length);

    /// <summary>x: (T, dim), updated in place. Returns the balance loss of a MoE layer (0 otherwise).</summary>
    public double Forward(Span<float> x, int T, float balanceAlpha)
    {
        _T = T;
        int n = T * _dim;
        var x0 = Buffers.Ensure(ref _x0, n);
        var x1 = Buffers.Ensure(ref _x1, n);
        var h = Buffers.Ensure(ref _h, n);
        var tmp = Buffers.Ensure(ref _tmp, n);
        x[..n].CopyTo(x0);
        TrainOps.RmsNormForward(x0, W(_attnNorm), h, Buffers.Ensure(ref _r0, T), T, _dim, _eps);
        Attn.Forward(h, tmp, T);
        for (int i = 0; i < n; i++) x1[i] = x0[i] + tmp[i];
        TrainOps.RmsNormForward(x1, W(_ffnNorm), h, Buffers.Ensure(ref _r1, T), T, _dim, _eps);
        double aux = 0;
        if (Moe is not null) aux = Moe.Forward(h, tmp, T, balanceAlpha);
        else Mlp!.Forward(h, tmp, T);
        for (int i = 0; i < n; i++) x[i] = x1[i] + tmp[i];
        return aux;
    }

    /// <summary>dx: (T, dim) d loss / d output on entry, d loss / d input on return.</summary>
    public void Backward(Span<float> dx)
    {
        int T = _T, n = T * _dim;
        var dh = Buffers.Ensure(ref _dh, n, clear: true);
        if (Moe is not null) Moe.Backward(dx, dh);
        else Mlp!.Backward(dx, dh);
        TrainOps.RmsNormBackward(dh, _x1!, W(_ffnNorm), _r1!, dx, G(_ffnNorm), T, _dim); // dx now d loss / d x1
        Array.Clear(dh, 0, n);
        Attn.Backward(dx, dh);
        TrainOps.RmsNormBackward(dh, _x0!, W(_attnNorm), _r0!, dx, G(_attnNorm), T, _dim);
    }
}
