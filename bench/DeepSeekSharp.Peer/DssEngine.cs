using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Peer;

/// <summary>Our engine behind the same interface: the model's forward pass over an F32 latent cache.</summary>
public sealed class DssEngine : IStepEngine
{
    private readonly Transformer _model;
    private readonly int _capacity;
    private readonly CacheDType _cacheType;
    private LatentCache _cache;

    public string Name => "DeepSeekSharp";
    public int VocabSize => _model.Config.VocabSize;
    public Transformer Model => _model;

    public DssEngine(Transformer model, int capacity, CacheDType cacheType = CacheDType.F32)
    {
        _model = model;
        _capacity = capacity;
        _cacheType = cacheType;
        _cache = model.NewCache(capacity, cacheType);
    }

    public static DssEngine Load(string dir, int capacity, CacheDType cacheType = CacheDType.F32) =>
        new(Transformer.Load(dir), capacity, cacheType);

    public float[] Prefill(ReadOnlySpan<int> prompt)
    {
        _cache = _model.NewCache(_capacity, _cacheType);
        return _model.Forward(prompt, 0, _cache, lastOnly: true);
    }

    public float[] Step(int token) => _model.Forward(new[] { token }, _cache.Length, _cache, lastOnly: true);

    public void Dispose() => _model.Dispose();
}
