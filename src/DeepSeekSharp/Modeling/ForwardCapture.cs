namespace DeepSeekSharp.Modeling;

/// <summary>Intermediate values of one forward pass, recorded on request (tests, debugging, `dss logits --trace`).</summary>
public sealed class ForwardCapture
{
    /// <summary>Residual stream: [0] = embeddings, [l + 1] = after decoder layer l; each (T, dim).</summary>
    public List<float[]> Hidden { get; } = new();
    /// <summary>Per MoE layer: routed experts (T, top_k) and their gate weights (T, top_k).</summary>
    public Dictionary<int, int[]> TopkIdx { get; } = new();
    public Dictionary<int, float[]> TopkWeight { get; } = new();
    /// <summary>After model.norm, (T, dim).</summary>
    public float[]? FinalNorm { get; set; }
}
