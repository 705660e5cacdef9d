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
    /// The group at column i widened into its four lanes (see <see cref="Lanes"/>); x for lane j is read from the
    /// permuted x at j Count (<see cref="GroupFma"/>).
    /// </summary>
    static abstract void Group<TV, TOps>(byte* data, nint i, out TV w0, out TV w1, out TV w2, out TV w3)
        where TV : unmanaged where TOps : struct, IVecOps<TV>;
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
    public static void Group<TV, TOps>(byte* data, nint i, out TV w0, out TV w1, out TV w2, out TV w3)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        float* p = (float*)data + i;
        w0 = TOps.Load(p);
        w1 = TOps.Load(p + V);
        w2 = TOps.Load(p + 2 * V);
        w3 = TOps.Load(p + 3 * V);
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
    public static void Group<TV, TOps>(byte* data, nint i, out TV w0, out TV w1, out TV w2, out TV w3)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        TOps.LoadBf16Pair((ushort*)data + i, out w0, out w1);
        TOps.LoadBf16Pair((ushort*)data + i + 2 * V, out w2, out w3);
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
    public static void Group<TV, TOps>(byte* data, nint i, out TV w0, out TV w1, out TV w2, out TV w3)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
        => TOps.LoadFp8Quad(data + i, out w0, out w1, out w2, out w3);
}

/// <summary>
/// Multiply-adds of widened groups (<see cref="IWeightLoad.Group"/>) into their lane accumulators, lane j against x at
/// xp + j Count: one row and token (<see cref="Dot"/>), one row and two tokens (<see cref="Dot2"/>), two or four rows
/// and one token sharing x's loads (<see cref="Rows2"/>, <see cref="Rows4"/>). Every form does, per row and token,
/// the same multiply-add into the same accumulator, so the results do not depend on which form ran.
/// </summary>
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

    /// <summary>The group of one row at column i into (a, b, c, d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot<TV, TOps, TW>(byte* data, nint i, float* xp, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        TW.Group<TV, TOps>(data, i, out TV w0, out TV w1, out TV w2, out TV w3);
        Four<TV, TOps>(w0, w1, w2, w3, xp + i, ref a, ref b, ref c, ref d);
    }

    /// <summary><see cref="Dot"/> for two tokens sharing the widened weights: (a, b, c, d) with xa, (e, f, g, h) with xb.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2<TV, TOps, TW>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d,
        ref TV e, ref TV f, ref TV g, ref TV h) where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        TW.Group<TV, TOps>(data, i, out TV w0, out TV w1, out TV w2, out TV w3);
        Four<TV, TOps>(w0, w1, w2, w3, xa + i, ref a, ref b, ref c, ref d);
        Four<TV, TOps>(w0, w1, w2, w3, xb + i, ref e, ref f, ref g, ref h);
    }

    /// <summary>
    /// The groups at column i of two rows (p0, p1) against one x, loaded once: a load of x per weight vector is what
    /// bounds a single row's loop (measured in L1: 10.1 cycles per 64 FP8 weights alone, 7.2 in pairs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rows2<TV, TOps, TW>(byte* p0, byte* p1, nint i, float* xp,
        ref TV a0, ref TV b0, ref TV c0, ref TV d0, ref TV a1, ref TV b1, ref TV c1, ref TV d1)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        X<TV, TOps>(xp + i, out TV x0, out TV x1, out TV x2, out TV x3);
        Row<TV, TOps, TW>(p0, i, x0, x1, x2, x3, ref a0, ref b0, ref c0, ref d0);
        Row<TV, TOps, TW>(p1, i, x0, x1, x2, x3, ref a1, ref b1, ref c1, ref d1);
    }

    /// <summary><see cref="Rows2"/> for four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rows4<TV, TOps, TW>(byte* p0, byte* p1, byte* p2, byte* p3, nint i, float* xp,
        ref TV a0, ref TV b0, ref TV c0, ref TV d0, ref TV a1, ref TV b1, ref TV c1, ref TV d1,
        ref TV a2, ref TV b2, ref TV c2, ref TV d2, ref TV a3, ref TV b3, ref TV c3, ref TV d3)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        X<TV, TOps>(xp + i, out TV x0, out TV x1, out TV x2, out TV x3);
        Row<TV, TOps, TW>(p0, i, x0, x1, x2, x3, ref a0, ref b0, ref c0, ref d0);
        Row<TV, TOps, TW>(p1, i, x0, x1, x2, x3, ref a1, ref b1, ref c1, ref d1);
        Row<TV, TOps, TW>(p2, i, x0, x1, x2, x3, ref a2, ref b2, ref c2, ref d2);
        Row<TV, TOps, TW>(p3, i, x0, x1, x2, x3, ref a3, ref b3, ref c3, ref d3);
    }

    /// <summary>The four lane vectors of x for a group (permuted x at q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void X<TV, TOps>(float* q, out TV x0, out TV x1, out TV x2, out TV x3) where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        x0 = TOps.Load(q);
        x1 = TOps.Load(q + V);
        x2 = TOps.Load(q + 2 * V);
        x3 = TOps.Load(q + 3 * V);
    }

    /// <summary>One row's group at column i against x already in registers (lane j against xj).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Row<TV, TOps, TW>(byte* p, nint i, TV x0, TV x1, TV x2, TV x3, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        TW.Group<TV, TOps>(p, i, out TV w0, out TV w1, out TV w2, out TV w3);
        a = TOps.Fma(w0, x0, a);
        b = TOps.Fma(w1, x1, b);
        c = TOps.Fma(w2, x2, c);
        d = TOps.Fma(w3, x3, d);
    }
}
