using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

/// <summary>
/// One layer's rows: (capacity, kv_lora_rank + qk_rope_head_dim), each position's latent c_kv followed by its RoPE key
/// k_pe, in BF16 or F32, in pinned memory. Kept together so absorbed attention scores a query against both with one
/// product over the rows (<see cref="Rows"/>), reading the cache in place.
/// </summary>
public sealed unsafe class LayerCache
{
    private readonly float[]? _f32;
    private readonly ushort[]? _bf16;

    public int KvRank { get; }
    public int RopeDim { get; }
    /// <summary>Values per position: KvRank + RopeDim.</summary>
    public int RowWidth => KvRank + RopeDim;

    public LayerCache(int kvRank, int ropeDim, int capacity, CacheDType dtype)
    {
        KvRank = kvRank;
        RopeDim = ropeDim;
        long n = (long)capacity * (kvRank + ropeDim);
        if (dtype == CacheDType.F32) _f32 = GC.AllocateArray<float>(checked((int)n), pinned: true);
        else _bf16 = GC.AllocateArray<ushort>(checked((int)n), pinned: true);
    }

    public void Write(int pos, ReadOnlySpan<float> kv, ReadOnlySpan<float> pe)
    {
        int w = RowWidth;
        if (_f32 is not null)
        {
            kv.CopyTo(_f32.AsSpan(pos * w, KvRank));
            pe.CopyTo(_f32.AsSpan(pos * w + KvRank, RopeDim));
        }
        else
        {
            BFloat16.FromSingle(kv, _bf16.AsSpan(pos * w, KvRank));
            BFloat16.FromSingle(pe, _bf16.AsSpan(pos * w + KvRank, RopeDim));
        }
    }

    /// <summary>Positions [0, n) as a matrix view (n, KvRank + RopeDim) in the cache's dtype, valid while this cache lives.</summary>
    internal WeightView Rows(int n)
    {
        byte* p = _f32 is not null
            ? (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_f32))
            : (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_bf16!));
        return new WeightView(_f32 is not null ? Checkpoints.DType.F32 : Checkpoints.DType.BF16, p, n, RowWidth);
    }

    /// <summary>Rows [0, n) of the latent as F32 into dst (n, kv_lora_rank).</summary>
    public void ReadKv(int n, Span<float> dst) => Read(n, 0, KvRank, dst);

    /// <summary>Rows [0, n) of the rope key as F32 into dst (n, qk_rope_head_dim).</summary>
    public void ReadPe(int n, Span<float> dst) => Read(n, KvRank, RopeDim, dst);

    private void Read(int n, int col, int width, Span<float> dst)
    {
        int w = RowWidth;
        for (int s = 0; s < n; s++)
        {
            if (_f32 is not null) _f32.AsSpan(s * w + col, width).CopyTo(dst.Slice(s * width, width));
            else BFloat16.ToSingle(_bf16.AsSpan(s * w + col, width), dst.Slice(s * width, width));
        }
    }
}
