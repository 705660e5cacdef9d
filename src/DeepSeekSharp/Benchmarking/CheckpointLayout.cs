using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Benchmarking;

/// <summary>What a tensor of a checkpoint holds, which decides how `dss init` fills it.</summary>
public enum TensorRole
{
    /// <summary>A linear projection inside a layer (FP8 with block scales in an FP8 checkpoint).</summary>
    Projection,
    /// <summary>weight_scale_inv of an FP8 projection: F32 (ceil(out/128), ceil(in/128)).</summary>
    Scale,
    Embedding,
    Head,
    /// <summary>The MoE router weight (mlp.gate.weight), BF16.</summary>
    Router,
    /// <summary>e_score_correction_bias, F32.</summary>
    RouterBias,
    /// <summary>An RMSNorm weight, BF16.</summary>
    Norm,
}

/// <summary>
/// One tensor of the released layout: name, dtype, shape, role and fan-in (the columns of the matrix, or of the
/// weight a scale belongs to).
/// </summary>
public sealed record PlannedTensor(string Name, DType DType, long[] Shape, TensorRole Role, int FanIn)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteLength => ElementCount * DTypes.SizeOf(DType);
}

/// <summary>
/// The tensors of a DeepSeek-V3-architecture checkpoint in the layout of the Hugging Face release (names from
/// <see cref="HfNames"/>): the main layers, then the MTP layers the config names. In an FP8 checkpoint every
/// projection inside the layers is F8_E4M3 with an F32 weight_scale_inv [ceil(out/128), ceil(in/128)]; embedding,
/// head, norms and router stay BF16 and e_score_correction_bias F32, as released.
/// </summary>
public static class CheckpointLayout
{
    public const int Block = 128;

    public static IReadOnlyList<PlannedTensor> Tensors(ModelConfig c, bool fp8)
    {
        var list = new List<PlannedTensor>();
        int D = c.HiddenSize, V = c.VocabSize;
        void Mat(string name, int rows, int cols, TensorRole role = TensorRole.Projection)
        {
            if (role == TensorRole.Projection && fp8)
            {
                list.Add(new PlannedTensor(name, DType.F8_E4M3, [rows, cols], role, cols));
                list.Add(new PlannedTensor(name + HfNames.ScaleSuffix, DType.F32, [(rows + Block - 1) / Block, (cols + Block - 1) / Block], TensorRole.Scale, cols));
            }
            else list.Add(new PlannedTensor(name, DType.BF16, [rows, cols], role, cols));
        }
        void Norm(string name, int n) => list.Add(new PlannedTensor(name, DType.BF16, [n], TensorRole.Norm, n));

        Mat(HfNames.Embed, V, D, TensorRole.Embedding);
        int total = c.NumHiddenLayers + c.NumNextnPredictLayers;
        for (int l = 0; l < total; l++)
        {
            if (l >= c.NumHiddenLayers)
            {
                Mat(HfNames.MtpEmbed(l), V, D, TensorRole.Embedding);
                Norm(HfNames.MtpENorm(l), D);
                Norm(HfNames.MtpHNorm(l), D);
                Mat(HfNames.MtpEhProj(l), D, 2 * D);
                Norm(HfNames.MtpHeadNorm(l), D);
                Mat(HfNames.MtpHead(l), V, D, TensorRole.Head);
            }
            AddBlock(c, l, Mat, Norm, list);
        }
        Norm(HfNames.Norm, D);
        Mat(HfNames.Head, V, D, TensorRole.Head);
        return list;
    }

    private static void AddBlock(ModelConfig c, int l, Action<string, int, int, TensorRole> mat, Action<string, int> norm, List<PlannedTensor> list)
    {
        int D = c.HiddenSize, nh = c.NumAttentionHeads;
        const TensorRole P = TensorRole.Projection;
        norm(HfNames.AttnNorm(l), D);
        if (c.QLoraRank is int qr)
        {
            mat(HfNames.WqA(l), qr, D, P);
            norm(HfNames.QNorm(l), qr);
            mat(HfNames.WqB(l), nh * c.QkHeadDim, qr, P);
        }
        else mat(HfNames.Wq(l), nh * c.QkHeadDim, D, P);
        mat(HfNames.WkvA(l), c.KvLoraRank + c.QkRopeHeadDim, D, P);
        norm(HfNames.KvNorm(l), c.KvLoraRank);
        mat(HfNames.WkvB(l), nh * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank, P);
        mat(HfNames.Wo(l), D, nh * c.VHeadDim, P);
        norm(HfNames.FfnNorm(l), D);
        if (c.IsMoeLayer(l))
        {
            mat(HfNames.GateWeight(l), c.NRoutedExperts, D, TensorRole.Router);
            if (c.TopkMethod == TopkMethod.NoauxTc)
                list.Add(new PlannedTensor(HfNames.GateBias(l), DType.F32, [c.NRoutedExperts], TensorRole.RouterBias, c.NRoutedExperts));
            for (int e = 0; e < c.NRoutedExperts; e++) Mlp(HfNames.Expert(l, e), c.MoeIntermediateSize);
            if (c.NSharedExperts > 0) Mlp(HfNames.SharedExperts(l), c.MoeIntermediateSize * c.NSharedExperts);
        }
        else Mlp(HfNames.DenseMlp(l), c.IntermediateSize);

        void Mlp(string prefix, int inter)
        {
            mat(HfNames.W1(prefix), inter, D, P);
            mat(HfNames.W2(prefix), D, inter, P);
            mat(HfNames.W3(prefix), inter, D, P);
        }
    }
}
