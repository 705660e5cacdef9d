namespace DeepSeekSharp.Training.Precision;

/// <summary>
/// The GEMMs of training at a chosen precision, with the shapes of <see cref="Gemm"/> and the weight named by its
/// tensor (W is (N, K) = (Rows, Cols)):
/// <list type="bullet">
/// <item>Fp32: exactly <see cref="Gemm"/>.</item>
/// <item>Bf16: both inputs rounded to BF16, F32 accumulation.</item>
/// <item>Fp8: the decoder-block linear layers (<see cref="IsFp8Linear"/>) through <see cref="Fp8Gemm"/> with E4M3
/// inputs: Fprop x per 1 x 128 tile along K, W per 128 x 128 block; Dgrad dy per 1 x 128 tile along N, W's blocks
/// read transposed; Wgrad dy and x per 1 x 128 tile along the tokens. The output head and the router as in Bf16.</item>
/// </list>
/// Weight copies (rounded or quantised) are cached until <see cref="WeightsChanged"/>; call it whenever the weights
/// change (the trainer does after each optimiser step, <see cref="TrainModel.ZeroGrad"/> does too).
/// Not thread-safe: one policy per model.
/// </summary>
public sealed class PrecisionPolicy
{
    private readonly ParameterSet _p;
    private readonly Dictionary<long, QuantizedWeight> _cache = new();
    private int _version;
    private float[]? _a, _b, _as, _bs, _t; // scratch: operands, their scales, a transpose

    public TrainPrecision Precision { get; }
    public Fp8ScaleFormat Scales { get; }

    public PrecisionPolicy(ParameterSet p, TrainPrecision precision = TrainPrecision.Fp32, Fp8ScaleFormat scales = Fp8ScaleFormat.Float)
    {
        _p = p;
        Precision = precision;
        Scales = scales;
    }

    /// <summary>Drops the cached weight copies (the weights changed).</summary>
    public void WeightsChanged() => _version++;

    /// <summary>Whether a tensor is one of the linear layers FP8 applies to: a matrix inside a decoder layer (MTP included) other than the router.</summary>
    public static bool IsFp8Linear(ParamTensor t) =>
        t.IsMatrix && t.Name.StartsWith("model.layers.", StringComparison.Ordinal) && !t.Name.EndsWith(".mlp.gate.weight", StringComparison.Ordinal);

    private bool Fp8(ParamTensor w) => Precision == TrainPrecision.Fp8 && IsFp8Linear(w);
    private ReadOnlySpan<float> W(ParamTensor t) => _p.Data.AsSpan((int)t.Offset, t.Length);
    private Span<float> G(ParamTensor t) => _p.Grad.AsSpan((int)t.Offset, t.Length);

    /// <summary>y (M, N) = x (M, K) @ W^T.</summary>
    public void Forward(ReadOnlySpan<float> x, ParamTensor w, Span<float> y, int M)
    {
        int N = w.Rows, K = w.Cols;
        if (Precision == TrainPrecision.Fp32) { Gemm.Forward(x, W(w), y, M, N, K); return; }
        if (!Fp8(w)) { Gemm.Forward(Rounded(x[..(M * K)], ref _a), Bf16Weight(w), y, M, N, K); return; }
        var q = Fp8Weight(w);
        int stride = Fp8Gemm.Stride(K);
        var (a, s) = QuantizeRows(x, M, K, ref _a, ref _as);
        Fp8Gemm.ScaledDot(a, s, q.Codes, q.RowScales, y, M, N, K, stride, accumulate: false);
    }

    /// <summary>dx (M, K) += dy (M, N) @ W.</summary>
    public void AccumulateInput(ReadOnlySpan<float> dy, ParamTensor w, Span<float> dx, int M)
    {
        int N = w.Rows, K = w.Cols;
        if (Precision == TrainPrecision.Fp32) { Gemm.AccumulateInput(dy, W(w), dx, M, N, K); return; }
        if (!Fp8(w)) { Gemm.AccumulateInput(Rounded(dy[..(M * N)], ref _a), Bf16Weight(w), dx, M, N, K); return; }
        var q = Fp8Weight(w);
        q.EnsureTransposed(N, K);
        var (a, s) = QuantizeRows(dy, M, N, ref _a, ref _as);
        Fp8Gemm.ScaledDot(a, s, q.CodesT, q.RowScalesT, dx, M, K, N, Fp8Gemm.Stride(N), accumulate: true);
    }

    /// <summary>dW (N, K) += dy (M, N)^T @ x (M, K), into the gradient of w.</summary>
    public void AccumulateWeight(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ParamTensor w, int M)
    {
        int N = w.Rows, K = w.Cols;
        if (Precision == TrainPrecision.Fp32) { Gemm.AccumulateWeight(dy, x, G(w), M, N, K); return; }
        if (!Fp8(w))
        {
            Gemm.AccumulateWeight(Rounded(dy[..(M * N)], ref _a), Rounded(x[..(M * K)], ref _b), G(w), M, N, K);
            return;
        }
        // Both operands transposed to (features, tokens) and quantised per 1 x 128 tile along the tokens.
        var (a, sa) = QuantizeColumns(dy, M, N, ref _a, ref _as);
        var (b, sb) = QuantizeColumns(x, M, K, ref _b, ref _bs);
        Fp8Gemm.ScaledDot(a, sa, b, sb, G(w), N, K, M, Fp8Gemm.Stride(M), accumulate: true);
    }

    private float[] Rounded(ReadOnlySpan<float> x, ref float[]? buf)
    {
        var r = Buffers.Ensure(ref buf, x.Length);
        Bf16Round.Round(x, r);
        return r;
    }

    private (float[] Codes, float[] Scales) QuantizeRows(ReadOnlySpan<float> x, int rows, int cols, ref float[]? codes, ref float[]? scales)
    {
        int stride = Fp8Gemm.Stride(cols);
        var c = Buffers.Ensure(ref codes, rows * stride);
        var s = Buffers.Ensure(ref scales, rows * Fp8Gemm.Chunks(cols));
        TileQuantizer.Quantize(x[..(rows * cols)], rows, cols, c, stride, s, Scales);
        return (c, s);
    }

    /// <summary>x (rows, cols) transposed to (cols, rows), then quantised per 1 x 128 tile along rows.</summary>
    private (float[] Codes, float[] Scales) QuantizeColumns(ReadOnlySpan<float> x, int rows, int cols, ref float[]? codes, ref float[]? scales)
    {
        var t = Buffers.Ensure(ref _t, rows * cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
        return QuantizeRows(t, cols, rows, ref codes, ref scales);
    }

    private QuantizedWeight Entry(ParamTensor w, out bool fresh)
    {
        if (!_cache.TryGetValue(w.Offset, out var e))
        {
            e = new QuantizedWeight { Version = _version - 1 };
            _cache.Add(w.Offset, e);
        }
        fresh = e.Version != _version;
        e.Version = _version;
        return e;
    }

    private float[] Bf16Weight(ParamTensor w)
    {
        var e = Entry(w, out bool fresh);
        if (fresh || e.Bf16 is null)
        {
            e.Bf16 ??= new float[w.Length];
            Bf16Round.Round(W(w), e.Bf16);
        }
        return e.Bf16;
    }

    private QuantizedWeight Fp8Weight(ParamTensor w)
    {
        var e = Entry(w, out bool fresh);
        if (fresh || e.Codes is null) e.Quantize(W(w), w.Rows, w.Cols, Scales);
        return e;
    }
}
