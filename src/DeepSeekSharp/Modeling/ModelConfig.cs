using System.Text.Json;

namespace DeepSeekSharp.Modeling;

public enum TopkMethod { Greedy, GroupLimitedGreedy, NoauxTc }
public enum ScoringFunc { Softmax, Sigmoid }

public static class ConfigNames
{
    /// <summary>The config.json spelling: greedy, group_limited_greedy, noaux_tc.</summary>
    public static string ToConfigName(this TopkMethod m) => m switch
    {
        TopkMethod.Greedy => "greedy",
        TopkMethod.GroupLimitedGreedy => "group_limited_greedy",
        _ => "noaux_tc",
    };

    public static string ToConfigName(this ScoringFunc f) => f == ScoringFunc.Softmax ? "softmax" : "sigmoid";
}

/// <summary>YaRN RoPE extension (DeepSeek's rope_scaling with type "yarn").</summary>
public sealed record YarnScaling(
    double Factor,
    int OriginalMaxPositionEmbeddings,
    double BetaFast,
    double BetaSlow,
    double Mscale,
    double MscaleAllDim);

/// <summary>FP8 block quantisation as released (quantization_config of config.json).</summary>
public sealed record QuantizationConfig(string QuantMethod, string Fmt, int BlockRows, int BlockCols, string ActivationScheme);

/// <summary>
/// The immutable architecture of a DeepSeek-V2/V3-family model, read from a Hugging Face config.json.
/// Field names follow the config keys; everything the forward pass depends on is here.
/// </summary>
public sealed record ModelConfig
{
    public required string ModelType { get; init; }
    public string? Architecture { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MoeIntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public int? QLoraRank { get; init; }
    public required int KvLoraRank { get; init; }
    public required int QkNopeHeadDim { get; init; }
    public required int QkRopeHeadDim { get; init; }
    public required int VHeadDim { get; init; }
    public required int NRoutedExperts { get; init; }
    public int NSharedExperts { get; init; }
    public required int NumExpertsPerTok { get; init; }
    public int NGroup { get; init; } = 1;
    public int TopkGroup { get; init; } = 1;
    public TopkMethod TopkMethod { get; init; } = TopkMethod.Greedy;
    public ScoringFunc ScoringFunc { get; init; } = ScoringFunc.Softmax;
    public bool NormTopkProb { get; init; }
    public double RoutedScalingFactor { get; init; } = 1.0;
    public int FirstKDenseReplace { get; init; }
    public int MoeLayerFreq { get; init; } = 1;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public YarnScaling? RopeScaling { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public int NumNextnPredictLayers { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }
    public QuantizationConfig? QuantizationConfig { get; init; }

    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    /// <summary>Whether layer <paramref name="layer"/> (0-based, main layers and MTP layers) has a MoE MLP.</summary>
    public bool IsMoeLayer(int layer) =>
        NRoutedExperts > 0 && layer >= FirstKDenseReplace && (layer % Math.Max(1, MoeLayerFreq)) == 0;

    /// <summary>Latent KV cache bytes per token over all main layers: (kv_lora_rank + qk_rope_head_dim) x layers x dtype size.</summary>
    public long KvCacheBytesPerToken(int bytesPerValue = 2) => (long)(KvLoraRank + QkRopeHeadDim) * NumHiddenLayers * bytesPerValue;

    /// <summary>Softmax scale of attention: qk_head_dim^-0.5, times mscale^2 under YaRN when factor > 1.</summary>
    public double SoftmaxScale
    {
        get
        {
            double s = 1.0 / Math.Sqrt(QkHeadDim);
            if (RopeScaling is { } y && y.Factor > 1)
            {
                double m = 0.1 * y.MscaleAllDim * Math.Log(y.Factor) + 1.0;
                s *= m * m;
            }
            return s;
        }
    }

    public static ModelConfig Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        if (!File.Exists(path)) throw new DssException($"{path}: config.json not found");
        return Parse(File.ReadAllText(path), path);
    }

    public static ModelConfig Parse(string json, string source = "config.json") => ModelConfigParser.Parse(json, source);
}
