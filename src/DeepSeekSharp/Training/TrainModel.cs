using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Training;

/// <summary>How one sequence's losses enter the step's objective: each gradient is scaled by its weight.</summary>
/// <param name="Main">weight of the summed main next-token cross-entropy (1 / targets of the whole step for a mean)</param>
/// <param name="Mtp">weight of the summed MTP cross-entropy (lambda / MTP targets of the step); 0 skips MTP</param>
/// <param name="Balance">alpha of the sequence-wise balance loss of every MoE layer (alpha / sequences of the step)</param>
public readonly record struct LossScales(float Main, float Mtp, float Balance);

/// <summary>What one sequence contributed: summed cross-entropies, their target counts, and the weighted balance loss.</summary>
public readonly record struct SequenceLoss(double Main, int MainTargets, double Mtp, int MtpTargets, double Balance);

/// <summary>
/// The DeepSeek-V3 model for training, on one sequence at a time (positions 0..T-1): embedding, decoder layers,
/// final norm, lm_head and cross-entropy, plus the depth-1 MTP module whose embedding and head are the main ones.
/// Gradients accumulate into <see cref="ParameterSet.Grad"/> until <see cref="ZeroGrad"/>.
/// </summary>
public sealed class TrainModel
{
    private readonly ModelConfig _c;
    private readonly ParamTensor _embed, _norm, _head;
    private readonly ParamTensor? _enorm, _hnorm, _eh, _headNorm;
    private readonly int _D, _V;
    private readonly float _eps;

    private float[]? _x;        // (T, dim) residual stream / its gradient
    private float[]? _xLast;    // (T, dim) before the final norm
    private float[]? _rf;       // (T) rstd of the final norm
    private float[]? _xf;       // (T, dim) after the final norm
    private float[]? _dxf;      // (T, dim)
    private float[]? _logits;   // (T, vocab) logits, then their gradient
    private int[]? _targets;    // (T)
    // MTP: positions 0..T-2
    private float[]? _me, _meRaw, _meR, _mh, _mhR, _cat, _mx, _mxLast, _mxR, _mxn, _dcat, _dtmp;

    public ParameterSet Params { get; }
    public Rope Rope { get; }
    /// <summary>The numerics of every GEMM (F32 unless the model was built for bf16 or fp8).</summary>
    public PrecisionPolicy Precision { get; }
    public BlockTrain[] Layers { get; }
    public BlockTrain? MtpBlock { get; }

    public TrainModel(ParameterSet p, TrainPrecision precision = TrainPrecision.Fp32, Fp8ScaleFormat fp8Scales = Fp8ScaleFormat.Float)
    {
        Params = p;
        Precision = new PrecisionPolicy(p, precision, fp8Scales);
        _c = p.Config;
        _D = _c.HiddenSize;
        _V = _c.VocabSize;
        _eps = (float)_c.RmsNormEps;
        Rope = new Rope(_c);
        _embed = p[HfNames.Embed];
        _norm = p[HfNames.Norm];
        _head = p[ParameterSet.HeadName(_c)];
        Layers = new BlockTrain[_c.NumHiddenLayers];
        for (int l = 0; l < Layers.Length; l++) Layers[l] = new BlockTrain(p, l, Rope, Precision);
        if (p.HasMtp)
        {
            int m = _c.NumHiddenLayers;
            _enorm = p[HfNames.MtpENorm(m)];
            _hnorm = p[HfNames.MtpHNorm(m)];
            _eh = p[HfNames.MtpEhProj(m)];
            _headNorm = p[HfNames.MtpHeadNorm(m)];
            MtpBlock = new BlockTrain(p, m, Rope, Precision);
        }
    }

    /// <summary>The MoE layers (main, then MTP), whose routing load drives the bias update.</summary>
    public IEnumerable<MoeTrain> MoeLayers =>
        Layers.Append(MtpBlock).Where(b => b?.Moe is not null).Select(b => b!.Moe!);

    public void ZeroGrad()
    {
        Array.Clear(Params.Grad);
        Precision.WeightsChanged();
    }

    private ReadOnlySpan<float> W(ParamTensor t) => Params.Data.AsSpan((int)t.Offset, t.Length);
    private Span<float> G(ParamTensor t) => Params.Grad.AsSpan((int)t.Offset, t.Length);

    /// <summary>
    /// Runs one sequence (T tokens): the main objective predicts ids[t + 1] at t, MTP predicts ids[t + 2] at t.
    /// With backward, accumulates the gradients of Main * main_ce + Mtp * mtp_ce + balance losses.
    /// mainLogits (T, vocab) and mtpLogits (T - 1, vocab), when given, receive the logits.
    /// </summary>
    public SequenceLoss Run(ReadOnlySpan<int> ids, LossScales s, bool backward, float[]? mainLogits = null, float[]? mtpLogits = null)
    {
        int T = ids.Length, D = _D, V = _V;
        if (T < 2) throw new DssException($"a training sequence needs at least 2 tokens, got {T}");
        Rope.EnsurePositions(T);
        var x = Buffers.Ensure(ref _x, T * D);
        var emb = W(_embed);
        for (int t = 0; t < T; t++)
        {
            int id = ids[t];
            if ((uint)id >= (uint)V) throw new DssException($"token id {id} is outside the vocabulary (0..{V - 1})");
            emb.Slice(id * D, D).CopyTo(x.AsSpan(t * D, D));
        }
        double balance = 0;
        foreach (var layer in Layers) balance += layer.Forward(x, T, s.Balance);
        var xLast = Buffers.Ensure(ref _xLast, T * D);
        var xf = Buffers.Ensure(ref _xf, T * D);
        x.AsSpan(0, T * D).CopyTo(xLast);
        TrainOps.RmsNormForward(xLast, W(_norm), xf, Buffers.Ensure(ref _rf, T), T, D, _eps);

        var logits = Buffers.Ensure(ref _logits, T * V);
        Precision.Forward(xf, _head, logits, T);
        if (mainLogits is not null) logits.AsSpan(0, T * V).CopyTo(mainLogits);
        var targets = Buffers.Ensure(ref _targets, T);
        for (int t = 0; t < T; t++) targets[t] = t + 1 < T ? ids[t + 1] : -1;
        double mainLoss;
        var dxf = Buffers.Ensure(ref _dxf, T * D, clear: true);
        if (backward)
        {
            mainLoss = TrainOps.CrossEntropyBackward(logits.AsSpan(0, T * V), targets.AsSpan(0, T), V, s.Main);
            Precision.AccumulateWeight(logits, xf, _head, T);
            Precision.AccumulateInput(logits, _head, dxf, T);
        }
        else
        {
            mainLoss = TrainOps.CrossEntropy(logits.AsSpan(0, T * V), targets.AsSpan(0, T), V);
        }

        double mtpLoss = 0;
        int mtpTargets = 0;
        if (MtpBlock is not null && (s.Mtp != 0 || mtpLogits is not null))
        {
            (mtpLoss, mtpTargets, double b) = RunMtp(ids, s, backward, mtpLogits);
            balance += b;
        }

        if (backward)
        {
            var dx = x; // reuse the residual buffer for its gradient
            Array.Clear(dx, 0, T * D);
            TrainOps.RmsNormBackward(dxf, xLast, W(_norm), _rf!, dx, G(_norm), T, D);
            for (int l = Layers.Length - 1; l >= 0; l--) Layers[l].Backward(dx);
            var gEmb = G(_embed);
            for (int t = 0; t < T; t++)
            {
                var src = dx.AsSpan(t * D, D);
                var dst = gEmb.Slice(ids[t] * D, D);
                for (int i = 0; i < D; i++) dst[i] += src[i];
            }
        }
        return new SequenceLoss(mainLoss, T - 1, mtpLoss, mtpTargets, balance);
    }

    /// <summary>
    /// MTP depth 1 over positions i = 0..T-2: x = eh_proj([enorm(embed(ids[i+1])), hnorm(final_norm_hidden[i])]),
    /// one decoder layer, shared_head.norm, the main head; logits[i] predict ids[i+2].
    /// </summary>
    private (double Loss, int Targets, double Balance) RunMtp(ReadOnlySpan<int> ids, LossScales s, bool backward, float[]? mtpLogits)
    {
        int T = ids.Length - 1, D = _D, V = _V;
        var emb = W(_embed);
        var meRaw = Buffers.Ensure(ref _meRaw, T * D);
        var me = Buffers.Ensure(ref _me, T * D);
        var mh = Buffers.Ensure(ref _mh, T * D);
        var cat = Buffers.Ensure(ref _cat, T * 2 * D);
        for (int t = 0; t < T; t++) emb.Slice(ids[t + 1] * D, D).CopyTo(meRaw.AsSpan(t * D, D));
        TrainOps.RmsNormForward(meRaw, W(_enorm!), me, Buffers.Ensure(ref _meR, T), T, D, _eps);
        TrainOps.RmsNormForward(_xf!, W(_hnorm!), mh, Buffers.Ensure(ref _mhR, T), T, D, _eps);
        for (int t = 0; t < T; t++)
        {
            me.AsSpan(t * D, D).CopyTo(cat.AsSpan(t * 2 * D, D));
            mh.AsSpan(t * D, D).CopyTo(cat.AsSpan(t * 2 * D + D, D));
        }
        var mx = Buffers.Ensure(ref _mx, T * D);
        Precision.Forward(cat, _eh!, mx, T);
        double balance = MtpBlock!.Forward(mx, T, s.Balance);
        var mxLast = Buffers.Ensure(ref _mxLast, T * D);
        var mxn = Buffers.Ensure(ref _mxn, T * D);
        mx.AsSpan(0, T * D).CopyTo(mxLast);
        TrainOps.RmsNormForward(mxLast, W(_headNorm!), mxn, Buffers.Ensure(ref _mxR, T), T, D, _eps);
        var logits = Buffers.Ensure(ref _logits, T * V);
        Precision.Forward(mxn, _head, logits, T);
        if (mtpLogits is not null) logits.AsSpan(0, T * V).CopyTo(mtpLogits);
        var targets = Buffers.Ensure(ref _targets, T);
        for (int t = 0; t < T; t++) targets[t] = t + 2 <= T ? ids[t + 2] : -1;
        if (!backward) return (TrainOps.CrossEntropy(logits.AsSpan(0, T * V), targets.AsSpan(0, T), V), T - 1, balance);

        double loss = TrainOps.CrossEntropyBackward(logits.AsSpan(0, T * V), targets.AsSpan(0, T), V, s.Mtp);
        var dmxn = Buffers.Ensure(ref _dtmp, T * D, clear: true);
        Precision.AccumulateWeight(logits, mxn, _head, T);
        Precision.AccumulateInput(logits, _head, dmxn, T);
        var dmx = mx; // gradient of the block output, then of its input
        Array.Clear(dmx, 0, T * D);
        TrainOps.RmsNormBackward(dmxn, mxLast, W(_headNorm!), _mxR!, dmx, G(_headNorm!), T, D);
        MtpBlock.Backward(dmx);
        var dcat = Buffers.Ensure(ref _dcat, T * 2 * D, clear: true);
        Precision.AccumulateWeight(dmx, cat, _eh!, T);
        Precision.AccumulateInput(dmx, _eh!, dcat, T);
        // Split [d enorm out, d hnorm out] into two (T, D) buffers: reuse me and mh for them.
        for (int t = 0; t < T; t++)
        {
            dcat.AsSpan(t * 2 * D, D).CopyTo(me.AsSpan(t * D, D));
            dcat.AsSpan(t * 2 * D + D, D).CopyTo(mh.AsSpan(t * D, D));
        }
        var dEmbRows = Buffers.Ensure(ref _dtmp, T * D, clear: true);
        TrainOps.RmsNormBackward(me, meRaw, W(_enorm!), _meR!, dEmbRows, G(_enorm!), T, D);
        var gEmb = G(_embed);
        for (int t = 0; t < T; t++)
        {
            var src = dEmbRows.AsSpan(t * D, D);
            var dst = gEmb.Slice(ids[t + 1] * D, D);
            for (int i = 0; i < D; i++) dst[i] += src[i];
        }
        TrainOps.RmsNormBackward(mh, _xf!, W(_hnorm!), _mhR!, _dxf!, G(_hnorm!), T, D);
        return (loss, T - 1, balance);
    }
}
