using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Inference;

/// <summary>
/// MTP speculative decoding, depth 1: keeps the main model's hidden states (after model.norm) per position and the MTP
/// module's own latent cache, drafts the token after the one just chosen, and decides whether the main model accepts it.
/// MTP position i takes (hidden[i], token[i+1]); so with the main cache at length M and the chosen token at M, the draft
/// runs MTP positions [mtpLength, M) and its last row predicts token M+1.
/// Acceptance keeps the main model's output distribution exactly: greedy accepts when the draft is the main model's
/// choice; sampling accepts with probability min(1, p/q), else resamples from normalize(max(0, p - q)).
/// </summary>
public sealed class MtpDrafter
{
    private readonly Transformer _model;
    private readonly MtpLayer _mtp;
    private readonly LatentCache _cache;  // one layer, MTP positions
    private readonly float[] _hidden;     // (context, dim) main hidden states after model.norm
    private readonly float[] _q;          // (vocab) draft distribution
    private readonly float[] _p;          // (vocab) main distribution

    public MtpDrafter(Transformer model, int contextLength, CacheDType cacheDType)
    {
        _model = model;
        _mtp = model.Mtp[0];
        _cache = LatentCache.For(model.Config, contextLength, cacheDType, layers: 1);
        _hidden = new float[(long)contextLength * model.Config.HiddenSize];
        _q = new float[model.Config.VocabSize];
        _p = new float[model.Config.VocabSize];
    }

    /// <summary>Depth in use (chained drafts beyond depth 1 are not implemented).</summary>
    public int Depth => 1;

    /// <summary>Records hidden states (T, dim) of main positions [start, start + T).</summary>
    public void StoreHidden(int start, ReadOnlySpan<float> hidden) =>
        hidden.CopyTo(_hidden.AsSpan(start * _model.Config.HiddenSize));

    /// <summary>Keeps MTP positions whose next token is still within a main sequence of <paramref name="mainLength"/>.</summary>
    public void Truncate(int mainLength)
    {
        int keep = Math.Max(0, mainLength - 1);
        if (_cache.Length > keep) _cache.Truncate(keep);
    }

    /// <summary>
    /// Runs the MTP module over the positions it has not seen, up to the main cache's last position, with
    /// <paramref name="chosen"/> as the token after it; returns the draft and its distribution q (vocab).
    /// </summary>
    public (int Draft, float[] Q) Draft(IReadOnlyList<int> tokens, int chosen, Sampler sampler)
    {
        int M = tokens.Count, dim = _model.Config.HiddenSize;
        int from = _cache.Length;
        var next = new int[M - from]; // token[i+1] for MTP positions i in [from, M)
        for (int i = from; i < M; i++) next[i - from] = i + 1 < M ? tokens[i + 1] : chosen;
        var (logits, _) = _mtp.Forward(next, _hidden.AsSpan(from * dim, (M - from) * dim), from, _cache.Layer(0), lastOnly: true);
        _cache.SetLength(M);
        sampler.ComputeProbabilities(logits, _q);
        int draft = sampler.Options.IsGreedy ? Array.IndexOf(_q, 1f) : sampler.SampleFromProbabilities(_q);
        return (draft, _q);
    }

    /// <summary>
    /// The main model's verdict on the draft from its logits at the chosen token's position: the draft itself when
    /// accepted, else the replacement token (the main model's own greedy choice, or a draw from max(0, p - q)).
    /// </summary>
    public int Verify(ReadOnlySpan<float> mainLogits, int draft, float[] q, Sampler sampler)
    {
        if (sampler.Options.IsGreedy) return sampler.Sample(mainLogits);
        sampler.ComputeProbabilities(mainLogits, _p);
        return AcceptOrResample(_p, q, draft, sampler);
    }

    /// <summary>
    /// Speculative sampling's rule: keep the draft (drawn from q) with probability min(1, p/q), else draw from
    /// normalize(max(0, p - q)); the result is distributed exactly as p. Overwrites p with the residual.
    /// </summary>
    public static int AcceptOrResample(Span<float> p, ReadOnlySpan<float> q, int draft, Sampler sampler)
    {
        float pd = p[draft], qd = q[draft];
        if (qd > 0 && sampler.NextUniform() * qd < pd) return draft;
        for (int i = 0; i < p.Length; i++) p[i] = Math.Max(0f, p[i] - q[i]);
        return sampler.SampleFromProbabilities(p);
    }
}
