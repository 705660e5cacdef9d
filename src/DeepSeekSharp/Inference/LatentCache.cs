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
        long layerBytes = CacheMemory.LayerBytes(kvRank, ropeDim, capacity, dtype);
        var memory = new CacheMemory(checked(layerBytes * layers));
        for (int l = 0; l < layers; l++) _layers[l] = new LayerCache(memory, l * layerBytes, kvRank, ropeDim, capacity, dtype);
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
/// k_pe, in BF16 or F32, in memory that does not move (see <see cref="CacheMemory"/>). Kept together so absorbed
/// attention scores a query against both with one product over the rows (<see cref="Rows"/>), reading the cache in place.
/// </summary>
public sealed unsafe class LayerCache
{
    private readonly CacheMemory _memory; // owns the rows; kept alive with this layer
    private readonly byte* _data;         // (capacity, RowWidth) of float or BF16
    private readonly bool _bf16;

    public int KvRank { get; }
    public int RopeDim { get; }
    public int Capacity { get; }
    /// <summary>Values per position: KvRank + RopeDim.</summary>
    public int RowWidth => KvRank + RopeDim;

    /// <summary>A layer with its own memory.</summary>
    public LayerCache(int kvRank, int ropeDim, int capacity, CacheDType dtype)
        : this(new CacheMemory(CacheMemory.LayerBytes(kvRank, ropeDim, capacity, dtype)), 0, kvRank, ropeDim, capacity, dtype)
    {
    }

    internal LayerCache(CacheMemory memory, long offset, int kvRank, int ropeDim, int capacity, CacheDType dtype)
    {
        KvRank = kvRank;
        RopeDim = ropeDim;
        Capacity = capacity;
        _bf16 = dtype == CacheDType.BF16;
        _memory = memory;
        _data = memory.Pointer + offset;
    }

    private float* F32Row(int pos) => (float*)_data + (nint)pos * RowWidth;
    private ushort* Bf16Row(int pos) => (ushort*)_data + (nint)pos * RowWidth;

    public void Write(int pos, ReadOnlySpan<float> kv, ReadOnlySpan<float> pe)
    {
        if ((uint)pos >= (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(pos), pos, $"position past the cache's capacity of {Capacity}");
        if (kv.Length != KvRank || pe.Length != RopeDim) throw new ArgumentException($"a cache row takes {KvRank} + {RopeDim} values, got {kv.Length} + {pe.Length}");
        if (!_bf16)
        {
            kv.CopyTo(new Span<float>(F32Row(pos), KvRank));
            pe.CopyTo(new Span<float>(F32Row(pos) + KvRank, RopeDim));
        }
        else
        {
            BFloat16.FromSingle(kv, new Span<ushort>(Bf16Row(pos), KvRank));
            BFloat16.FromSingle(pe, new Span<ushort>(Bf16Row(pos) + KvRank, RopeDim));
        }
        GC.KeepAlive(_memory);
    }

    /// <summary>Positions [0, n) as a matrix view (n, KvRank + RopeDim) in the cache's dtype, valid while this cache lives.</summary>
    internal WeightView Rows(int n)
    {
        if ((uint)n > (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(n), n, $"the cache holds {Capacity} positions");
        return new WeightView(_bf16 ? Checkpoints.DType.BF16 : Checkpoints.DType.F32, _data, n, RowWidth);
    }

    /// <summary>Rows [0, n) of the latent as F32 into dst (n, kv_lora_rank).</summary>
    public void ReadKv(int n, Span<float> dst) => Read(n, 0, KvRank, dst);

    /// <summary>Rows [0, n) of the rope key as F32 into dst (n, qk_rope_head_dim).</summary>
    public void ReadPe(int n, Span<float> dst) => Read(n, KvRank, RopeDim, dst);

    private void Read(int n, int col, int width, Span<float> dst)
    {
        if ((uint)n > (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(n), n, $"the cache holds {Capacity} positions");
        if (dst.Length < (long)n * width) throw new ArgumentException($"destination holds {dst.Length} values, {n} x {width} needed");
        for (int s = 0; s < n; s++)
        {
            if (!_bf16) new ReadOnlySpan<float>(F32Row(s) + col, width).CopyTo(dst.Slice(s * width, width));
            else BFloat16.ToSingle(new ReadOnlySpan<ushort>(Bf16Row(s) + col, width), dst.Slice(s * width, width));
        }
        GC.KeepAlive(_memory);
    }
}

/// <summary>
/// The memory of a latent cache's layers: zero-filled, never moved, freed with the last layer that uses it. Absorbed
/// attention reads every row of it on every decode step, between reads of a gigabyte of weights that push its page
/// table entries out of the TLB; so from 2 MiB up it is one <see cref="LargePageBuffer"/> (2 MiB pages: a 576-position
/// layer of DeepSeek's width spans one page instead of 162), below that a pinned array.
/// </summary>
internal sealed unsafe class CacheMemory
{
    private readonly LargePageBuffer? _pages;
    private readonly byte[]? _array;

    public byte* Pointer { get; }
    public long Length { get; }

    public CacheMemory(long bytes)
    {
        Length = Math.Max(bytes, 1);
        if (Length >= LargePageBuffer.HugePageBytes)
        {
            _pages = new LargePageBuffer(Length, reportToGc: true);
            if (!_pages.ZeroFilled)
                for (long o = 0; o < Length; o += int.MaxValue) new Span<byte>(_pages.Pointer + o, (int)Math.Min(int.MaxValue, Length - o)).Clear();
            Pointer = _pages.Pointer;
        }
        else
        {
            _array = GC.AllocateArray<byte>(checked((int)Length), pinned: true);
            Pointer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        }
    }

    /// <summary>Bytes of one layer: capacity rows of kv_rank + rope_dim values, 64-byte aligned for the next layer.</summary>
    public static long LayerBytes(int kvRank, int ropeDim, int capacity, CacheDType dtype) =>
        ((long)capacity * (kvRank + ropeDim) * (dtype == CacheDType.BF16 ? 2 : 4) + 63) / 64 * 64;
}
