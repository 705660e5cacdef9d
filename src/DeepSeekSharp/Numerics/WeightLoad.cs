using System.Runtime.CompilerServices;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// How a kernel reads a weight element or a vector of them, widened to F32 (without the FP8 block scale,
/// which the kernels apply per block). One struct per stored dtype, so each kernel is specialised per dtype.
/// </summary>
internal unsafe interface IWeightLoad
{
    /// <summary>Bytes per element.</summary>
    static abstract int Size { get; }
    /// <summary>TOps.Count elements starting at element i of data.</summary>
    static abstract TV Load<TV, TOps>(byte* data, nint i) where TV : unmanaged where TOps : struct, IVecOps<TV>;
    /// <summary>Element i of data.</summary>
    static abstract float Load1(byte* data, nint i);

    /// <summary>
    /// Vectors in a decode group (always 4, one accumulator each): a group is Lanes x TOps.Count consecutive columns,
    /// read with whole-vector loads and split without a shuffle: FP8 64 codes into 4 vectors, BF16 two runs of 32
    /// values into even and odd elements each, F32 4 consecutive vectors.
    /// </summary>
    static abstract int Lanes { get; }

    /// <summary>
    /// How x is permuted to match (<see cref="GroupX"/>): in every run of Interleave x TOps.Count columns, element
    /// Interleave i + j moves to j Count + i (FP8 4, BF16 2, F32 1: no permutation).
    /// </summary>
    static abstract int Interleave { get; }

    /// <summary>
    /// One group at column i, lane j into accumulator j (a, b, c, d), so each FMA chain takes one multiply-add per
    /// group. x is read from xp permuted (see <see cref="Interleave"/>).
    /// </summary>
    static abstract void Dot<TV, TOps>(byte* data, nint i, float* xp, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV>;

    /// <summary><see cref="Dot"/> for two tokens sharing the widened weights: (a, b, c, d) with xa, (e, f, g, h) with xb.</summary>
    static abstract void Dot2<TV, TOps>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d,
        ref TV e, ref TV f, ref TV g, ref TV h) where TV : unmanaged where TOps : struct, IVecOps<TV>;
}

internal readonly unsafe struct F32Load : IWeightLoad
{
    public static int Size => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TOps>(byte* data, nint i) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => TOps.Load((float*)data + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* data, nint i) => ((float*)data)[i];

    /// <summary>Four consecutive vectors, each its own lane: x needs no permutation (see <see cref="GroupX"/>).</summary>
    public static int Lanes => 4;
    public static int Interleave => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot<TV, TOps>(byte* data, nint i, float* xp, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        float* p = (float*)data + i;
        GroupFma.Four<TV, TOps>(TOps.Load(p), TOps.Load(p + V), TOps.Load(p + 2 * V), TOps.Load(p + 3 * V), xp + i, ref a, ref b, ref c, ref d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2<TV, TOps>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d,
        ref TV e, ref TV f, ref TV g, ref TV h) where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        float* p = (float*)data + i;
        TV w0 = TOps.Load(p), w1 = TOps.Load(p + V), w2 = TOps.Load(p + 2 * V), w3 = TOps.Load(p + 3 * V);
        GroupFma.Four<TV, TOps>(w0, w1, w2, w3, xa + i, ref a, ref b, ref c, ref d);
        GroupFma.Four<TV, TOps>(w0, w1, w2, w3, xb + i, ref e, ref f, ref g, ref h);
    }
}

internal readonly unsafe struct Bf16Load : IWeightLoad
{
    public static int Size => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TOps>(byte* data, nint i) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => TOps.LoadBf16((ushort*)data + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* data, nint i) => BitConverter.Int32BitsToSingle(((ushort*)data)[i] << 16);

    /// <summary>Two runs of 2 Count values, each split into its even and odd elements (lanes 0, 1 and 2, 3).</summary>
    public static int Lanes => 4;
    public static int Interleave => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot<TV, TOps>(byte* data, nint i, float* xp, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        TOps.LoadBf16Pair((ushort*)data + i, out TV w0, out TV w1);
        TOps.LoadBf16Pair((ushort*)data + i + 2 * V, out TV w2, out TV w3);
        GroupFma.Four<TV, TOps>(w0, w1, w2, w3, xp + i, ref a, ref b, ref c, ref d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2<TV, TOps>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d,
        ref TV e, ref TV f, ref TV g, ref TV h) where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        TOps.LoadBf16Pair((ushort*)data + i, out TV w0, out TV w1);
        TOps.LoadBf16Pair((ushort*)data + i + 2 * V, out TV w2, out TV w3);
        GroupFma.Four<TV, TOps>(w0, w1, w2, w3, xa + i, ref a, ref b, ref c, ref d);
        GroupFma.Four<TV, TOps>(w0, w1, w2, w3, xb + i, ref e, ref f, ref g, ref h);
    }
}

internal readonly unsafe struct Fp8Load : IWeightLoad
{
    public static int Size => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TOps>(byte* data, nint i) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => TOps.LoadFp8(data + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* data, nint i) => BitConverter.UInt32BitsToSingle(Simd.Fp8Bits(data[i])) * Simd.Fp8Rebias;

    /// <summary>64 codes (at 512 bits) split by byte position into four vectors.</summary>
    public static int Lanes => 4;
    public static int Interleave => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot<TV, TOps>(byte* data, nint i, float* xp, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        TOps.LoadFp8Quad(data + i, out TV w0, out TV w1, out TV w2, out TV w3);
        GroupFma.Four<TV, TOps>(w0, w1, w2, w3, xp + i, ref a, ref b, ref c, ref d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2<TV, TOps>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d,
        ref TV e, ref TV f, ref TV g, ref TV h) where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        TOps.LoadFp8Quad(data + i, out TV w0, out TV w1, out TV w2, out TV w3);
        GroupFma.Four<TV, TOps>(w0, w1, w2, w3, xa + i, ref a, ref b, ref c, ref d);
        GroupFma.Four<TV, TOps>(w0, w1, w2, w3, xb + i, ref e, ref f, ref g, ref h);
    }
}

/// <summary>A group's four widened vectors into their four accumulators, against x at xp (lane j at xp + j Count).</summary>
internal static unsafe class GroupFma
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Four<TV, TOps>(TV w0, TV w1, TV w2, TV w3, float* xp, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        a = TOps.Fma(w0, TOps.Load(xp), a);
        b = TOps.Fma(w1, TOps.Load(xp + V), b);
        c = TOps.Fma(w2, TOps.Load(xp + 2 * V), c);
        d = TOps.Fma(w3, TOps.Load(xp + 3 * V), d);
    }
}
