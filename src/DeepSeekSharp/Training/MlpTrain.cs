using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Training;

/// <summary>SwiGLU MLP for training: y = w2(silu(w1(x)) * w3(x)), saving w1(x), w3(x) and the product.</summary>
public sealed class MlpTrain
{
    private readonly ParameterSet _p;
    private readonly ParamTensor _w1, _w2, _w3;
    private readonly int _dim;
    private readonly PrecisionPolicy _mm;
    private int _T;

    private float[]? _x;   // (T, dim)
    private float[]? _g;   // (T, inter) w1(x)
    private float[]? _u;   // (T, inter) w3(x)
    private float[]? _h;   // (T, inter) silu(g) * u
    private float[]? _dh, _dg, _du;

    public int Inter { get; }

    public MlpTrain(ParameterSet p, string prefix, PrecisionPolicy? precision = null)
    {
        _p = p;
        _mm = precision ?? new PrecisionPolicy(p);
        _w1 = p[HfNames.W1(prefix)];
        _w2 = p[HfNames.W2(prefix)];
        _w3 = p[HfNames.W3(prefix)];
        _dim = _w1.Cols;
        Inter = _w1.Rows;
    }

    private ReadOnlySpan<float> W(ParamTensor t) => _p.Data.AsSpan((int)t.Offset, t.Length);
    private Span<float> G(ParamTensor t) => _p.Grad.AsSpan((int)t.Offset, t.Length);

    /// <summary>x: (T, dim) -> y: (T, dim) (overwritten).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int T)
    {
        _T = T;
        int I = Inter;
        var xs = Buffers.Ensure(ref _x, T * _dim);
        x[..(T * _dim)].CopyTo(xs);
        var g = Buffers.Ensure(ref _g, T * I);
        var u = Buffers.Ensure(ref _u, T * I);
        var h = Buffers.Ensure(ref _h, T * I);
        _mm.Forward(xs, _w1, g, T);
        _mm.Forward(xs, _w3, u, T);
        TrainOps.SwiGluForward(g.AsSpan(0, T * I), u.AsSpan(0, T * I), h.AsSpan(0, T * I));
        _mm.Forward(h, _w2, y, T);
    }

    /// <summary>dy: (T, dim); accumulates into dx (T, dim) and the weight gradients.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int T = _T, I = Inter;
        var dh = Buffers.Ensure(ref _dh, T * I, clear: true);
        var dg = Buffers.Ensure(ref _dg, T * I);
        var du = Buffers.Ensure(ref _du, T * I);
        _mm.AccumulateWeight(dy, _h!, _w2, T);
        _mm.AccumulateInput(dy, _w2, dh, T);
        TrainOps.SwiGluBackward(dh.AsSpan(0, T * I), _g.AsSpan(0, T * I), _u.AsSpan(0, T * I), dg.AsSpan(0, T * I), du.AsSpan(0, T * I));
        _mm.AccumulateWeight(dg, _x!, _w1, T);
        _mm.AccumulateWeight(du, _x!, _w3, T);
        _mm.AccumulateInput(dg, _w1, dx, T);
        _mm.AccumulateInput(du, _w3, dx, T);
    }
}
