using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Inference;

public enum CacheDType { BF16, F32 }

/// <summary>
/// MLA's latent KV cache for one sequence: per layer and token only the normalised latent c_kv
/// (kv_lora_rank values, after kv_a_layernorm) and the RoPE'd shared key k_pe (qk_rope_head_dim values).
/// Bytes per token = (kv_lora_rank + qk_rope_head_dim) x layers x dtype size.
/// </summary>
public sealed class LatentCache
{
    private readonly LayerCache[] _layers;

    public int Capacity { get; }
    public int Layers => _layers.Length;
    public int KvRank { get; }
    public int RopeDim { get; }
    public CacheDType DType { get; }

    /// <summary>Tokens whose entries are valid in every layer.</summary>
    public int Length { get; private set; }

    public LatentCache(int layers, int kvRank, int ropeDim, int capacity, CacheDType dtype = CacheDType.BF16)
    {
        if (capacity <= 0) throw new DssException($"cache capacity must be positive, got {capacity}");
        Capacity = capacity;
        KvRank = kvRank;
        RopeDim = ropeDim;
        DType = dtype;
        _layers = new LayerCache[layers];
        for (int l = 0; l < layers; l++) _layers[l] = new LayerCache(kvRank, ropeDim, capacity, dtype);
    }

    public static LatentCache For(ModelConfig c, int capacity, CacheDType dtype = CacheDType.BF16, int layers = -1) =>
        new(layers < 0 ? c.NumHiddenLayers : layers, c.KvLoraRank, c.QkRopeHeadDim, capacity, dtype);

    public LayerCache Layer(int l) => _layers[l];

    public int BytesPerToken => (KvRank + RopeDim) * Layers * (DType == CacheDType.BF16 ? 2 : 4);
    public long BytesAllocated => (long)BytesPerToken * Capacity;

    /// <summary>Marks tokens [0, length) valid after every layer has written them.</summary>
    public void SetLength(int length)
    {
        if (length < 0 || length > Capacity) throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
    }

    /// <summary>Rewinds to a shorter prefix (entries past it are overwritten by later tokens).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"cannot truncate a cache of {Length} tokens to {length}");
        Length = length;
    }

    public void Reset() => Length = 0;
}

/// <summary>One layer's rows: kv (capacity, kv_lora_rank) and pe (capacity, qk_rope_head_dim).</summary>
public sealed class LayerCache
{
    private readonly float[]? _kvF32, _peF32;
    private readonly ushort[]? _kvBf16, _peBf16;

    public int KvRank { get; }
    public int RopeDim { get; }

    public LayerCache(int kvRank, int ropeDim, int capacity, CacheDType dtype)
    {
        KvRank = kvRank;
        RopeDim = ropeDim;
        if (dtype == CacheDType.F32)
        {
            _kvF32 = new float[(long)capacity * kvRank];
            _peF32 = new float[(long)capacity * ropeDim];
        }
        else
        {
            _kvBf16 = new ushort[(long)capacity * kvRank];
            _peBf16 = new ushort[(long)capacity * ropeDim];
        }
    }

    public void Write(int pos, ReadOnlySpan<float> kv, ReadOnlySpan<float> pe)
    {
        if (_kvF32 is not null)
        {
            kv.CopyTo(_kvF32.AsSpan(pos * KvRank, KvRank));
            pe.CopyTo(_peF32.AsSpan(pos * RopeDim, RopeDim));
        }
        else
        {
            BFloat16.FromSingle(kv, _kvBf16.AsSpan(pos * KvRank, KvRank));
            BFloat16.FromSingle(pe, _peBf16.AsSpan(pos * RopeDim, RopeDim));
        }
    }

    /// <summary>Rows [0, n) of the latent as F32 into dst (n, kv_lora_rank).</summary>
    public void ReadKv(int n, Span<float> dst)
    {
        if (_kvF32 is not null) _kvF32.AsSpan(0, n * KvRank).CopyTo(dst);
        else BFloat16.ToSingle(_kvBf16.AsSpan(0, n * KvRank), dst);
    }

    /// <summary>Rows [0, n) of the rope key as F32 into dst (n, qk_rope_head_dim).</summary>
    public void ReadPe(int n, Span<float> dst)
    {
        if (_peF32 is not null) _peF32.AsSpan(0, n * RopeDim).CopyTo(dst);
        else BFloat16.ToSingle(_peBf16.AsSpan(0, n * RopeDim), dst);
    }
}
