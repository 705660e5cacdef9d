using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Training;

/// <summary>One named tensor inside the flat parameter buffer: (Rows, Cols) row-major, or a vector when Cols == 1 and !IsMatrix.</summary>
public sealed record ParamTensor(string Name, long Offset, int Rows, int Cols, bool IsMatrix, bool Trainable)
{
    public int Length => Rows * Cols;
    public long[] Shape => IsMatrix ? new long[] { Rows, Cols } : new long[] { Rows };
}

/// <summary>
/// All weights of a model in F32, llm.c style: one flat buffer (and one for gradients of the same layout) plus a
/// view per Hugging Face tensor name. Non-trainable tensors (e_score_correction_bias) live in the same buffer but
/// are skipped by the optimiser and have no gradient.
/// </summary>
public sealed class ParameterSet
{
    private readonly Dictionary<string, ParamTensor> _byName = new(StringComparer.Ordinal);
    private readonly List<ParamTensor> _tensors = new();

    public ModelConfig Config { get; }
    /// <summary>Whether the MTP module (depth 1, at model.layers.{num_hidden_layers}) is part of the model.</summary>
    public bool HasMtp { get; }
    public IReadOnlyList<ParamTensor> Tensors => _tensors;
    public float[] Data { get; }   // (Count) all parameters
    public float[] Grad { get; }   // (Count) d loss / d parameter, same layout
    public long Count { get; }

    public ParameterSet(ModelConfig config, bool includeMtp)
    {
        Config = config;
        HasMtp = includeMtp && config.NumNextnPredictLayers > 0;
        long offset = 0;
        foreach (var (name, rows, cols, matrix, trainable) in Layout(config, HasMtp))
        {
            var t = new ParamTensor(name, offset, rows, cols, matrix, trainable);
            _tensors.Add(t);
            _byName.Add(name, t);
            offset += (long)rows * cols;
        }
        if (offset > Array.MaxLength) throw new DssException($"{offset:N0} parameters do not fit one F32 training buffer (at most {Array.MaxLength:N0})");
        Count = offset;
        Data = new float[offset];
        Grad = new float[offset];
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public ParamTensor this[string name] =>
        _byName.TryGetValue(name, out var t) ? t : throw new DssException($"the training model has no tensor '{name}'");

    public Span<float> Value(string name) => Data.AsSpan((int)this[name].Offset, this[name].Length);
    public Span<float> Gradient(string name) => Grad.AsSpan((int)this[name].Offset, this[name].Length);

    /// <summary>The name the output head's weight has: lm_head.weight, or the embedding when tied.</summary>
    public static string HeadName(ModelConfig c) => c.TieWordEmbeddings ? HfNames.Embed : HfNames.Head;

    /// <summary>Every tensor of the model in a fixed order: (name, rows, cols, is matrix, trainable).</summary>
    public static IEnumerable<(string, int, int, bool, bool)> Layout(ModelConfig c, bool mtp)
    {
        int D = c.HiddenSize;
        yield return (HfNames.Embed, c.VocabSize, D, true, true);
        for (int l = 0; l < c.NumHiddenLayers; l++)
            foreach (var t in BlockLayout(c, l)) yield return t;
        yield return (HfNames.Norm, D, 1, false, true);
        if (!c.TieWordEmbeddings) yield return (HfNames.Head, c.VocabSize, D, true, true);
        if (!mtp) yield break;
        int m = c.NumHiddenLayers;
        yield return (HfNames.MtpENorm(m), D, 1, false, true);
        yield return (HfNames.MtpHNorm(m), D, 1, false, true);
        yield return (HfNames.MtpEhProj(m), D, 2 * D, true, true);
        foreach (var t in BlockLayout(c, m)) yield return t;
        yield return (HfNames.MtpHeadNorm(m), D, 1, false, true);
    }

    private static IEnumerable<(string, int, int, bool, bool)> BlockLayout(ModelConfig c, int l)
    {
        int D = c.HiddenSize, nh = c.NumAttentionHeads;
        yield return (HfNames.AttnNorm(l), D, 1, false, true);
        if (c.QLoraRank is int qr)
        {
            yield return (HfNames.WqA(l), qr, D, true, true);
            yield return (HfNames.QNorm(l), qr, 1, false, true);
            yield return (HfNames.WqB(l), nh * c.QkHeadDim, qr, true, true);
        }
        else
        {
            yield return (HfNames.Wq(l), nh * c.QkHeadDim, D, true, true);
        }
        yield return (HfNames.WkvA(l), c.KvLoraRank + c.QkRopeHeadDim, D, true, true);
        yield return (HfNames.KvNorm(l), c.KvLoraRank, 1, false, true);
        yield return (HfNames.WkvB(l), nh * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank, true, true);
        yield return (HfNames.Wo(l), D, nh * c.VHeadDim, true, true);
        yield return (HfNames.FfnNorm(l), D, 1, false, true);
        if (c.IsMoeLayer(l))
        {
            int E = c.NRoutedExperts, I = c.MoeIntermediateSize;
            yield return (HfNames.GateWeight(l), E, D, true, true);
            if (c.TopkMethod == TopkMethod.NoauxTc) yield return (HfNames.GateBias(l), E, 1, false, false);
            for (int e = 0; e < E; e++)
                foreach (var t in MlpLayout(HfNames.Expert(l, e), D, I)) yield return t;
            if (c.NSharedExperts > 0)
                foreach (var t in MlpLayout(HfNames.SharedExperts(l), D, I * c.NSharedExperts)) yield return t;
        }
        else
        {
            foreach (var t in MlpLayout(HfNames.DenseMlp(l), D, c.IntermediateSize)) yield return t;
        }
    }

    private static IEnumerable<(string, int, int, bool, bool)> MlpLayout(string prefix, int D, int I)
    {
        yield return (HfNames.W1(prefix), I, D, true, true);
        yield return (HfNames.W2(prefix), D, I, true, true);
        yield return (HfNames.W3(prefix), I, D, true, true);
    }
}
