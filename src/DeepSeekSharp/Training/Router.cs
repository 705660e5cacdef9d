using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Training;

/// <summary>Expert choice of the MoE gate for training: the same rule as inference (<see cref="ExpertRouting"/>).</summary>
public sealed class Router
{
    private readonly ModelConfig _c;
    private readonly float[] _biased;  // (E)

    public Router(ModelConfig c)
    {
        _c = c;
        _biased = new float[c.NRoutedExperts];
    }

    /// <summary>Scores (E) of one token, bias (E) or empty; fills idx (k), raw (k) chosen unbiased scores, wts (k); returns the normaliser.</summary>
    public float Route(ReadOnlySpan<float> scores, ReadOnlySpan<float> bias, Span<int> idx, Span<float> raw, Span<float> wts)
    {
        ExpertRouting.Choose(_c, scores, bias, _biased, idx);
        return ExpertRouting.Weigh(_c, scores, idx, raw, wts);
    }
}
