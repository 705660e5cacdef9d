namespace DeepSeekSharp.CostModel;

/// <summary>Training compute per token (forward + backward) of one model at one sequence length.</summary>
/// <param name="Exact">6 x activated parameters + causal attention, from the config's real shapes.</param>
/// <param name="PaperConvention">what the paper's Table 2 row follows: <see cref="Exact"/> for MoE models, and
/// DeepSeek LLM's scaling-law count 72 n d^2 + 6 n d l for dense ones.</param>
/// <param name="AttentionFlops">the causal attention part of <see cref="Exact"/>.</param>
public sealed record TrainingFlopsPerToken(string Model, bool IsMoe, int SequenceLength, double Exact, double PaperConvention, double AttentionFlops);

/// <summary>
/// Training FLOPs per token (Table 2).
///
/// Exact: 6 x A + 3 x L x 2 x heads x (d_qk + d_v) x (s + 1) / 2, where A is the activated parameter count
/// (<see cref="ParamCounts.Active"/>: matrix FLOPs are 2 per weight forward, 4 backward) and the second term is
/// causal attention: the scores (d_qk) and the weighted sum of values (d_v) over the (s + 1) / 2 earlier positions
/// a token sees on average, forward 2 FLOPs per multiply-add, backward twice the forward.
///   DeepSeek-V2  155.3 vs 155  (+0.2%)     DeepSeek-V3  250.5 vs 250  (+0.2%)
///   LLaMA-405B  2473  vs 2448  (+1.0%)     Qwen-72B     442.4 vs 394  (+12.3%)
///
/// Qwen-72B's 394 cannot come from its real shapes: its matrices alone need 6 x 71.0B = 426 GFLOP. The dense rows
/// match DeepSeek LLM's scaling-law estimate M = 72 n_layer d^2 + 6 n_layer d l_seq (12 d^2 parameters per layer,
/// i.e. an MLP of 8/3 d, which Qwen-72B exceeds with 3 x 8192 x 24576 = 9 d^2), so the paper-convention column uses
/// it for dense models:
///   Qwen-72B     402.6 vs 394  (+2.2%)     LLaMA-405B  2486  vs 2448  (+1.6%)
/// </summary>
public static class TrainingFlops
{
    public const int PaperSequenceLength = 4096;

    public static TrainingFlopsPerToken PerToken(ArchConfig c, int sequenceLength = PaperSequenceLength)
    {
        if (sequenceLength <= 0) throw new DssException($"sequence length must be positive, got {sequenceLength}");
        var p = ParamCount.Of(c);
        double attention = CausalAttentionForward(c, sequenceLength) * 3;
        double exact = 6.0 * p.Active + attention;
        bool moe = c.Moe is not null;
        double paper = moe ? exact : ScalingLawDense(c.Layers, c.HiddenSize, sequenceLength);
        return new TrainingFlopsPerToken(c.Name, moe, sequenceLength, exact, paper, attention);
    }

    /// <summary>Forward FLOPs of causal attention (scores and value sum) per token, all layers.</summary>
    public static double CausalAttentionForward(ArchConfig c, int sequenceLength) =>
        (double)c.Layers * 2 * c.Heads * (c.QkHeadDim + c.VHeadDim) * ((sequenceLength + 1) / 2.0);

    /// <summary>DeepSeek LLM (2024), eq. 2: non-embedding training FLOPs per token of a dense transformer.</summary>
    public static double ScalingLawDense(int layers, int hidden, int sequenceLength) =>
        72.0 * layers * hidden * (double)hidden + 6.0 * layers * hidden * (double)sequenceLength;
}
