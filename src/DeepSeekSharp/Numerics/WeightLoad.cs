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
    /// Vectors in a decode group: a group is Lanes x TOps.Count consecutive columns, read with one load and split into
    /// Lanes vectors without a shuffle (BF16 2, FP8 4, F32 1). The decode kernels take x permuted to match
    /// (<see cref="GroupX"/>): lane j of the group at column i lies at xp + i + j Count.
    /// </summary>
    static abstract int Lanes { get; }

    /// <summary>
    /// One group at column i into two accumulators: a += lanes 0 and 2, b += lanes 1 and 3 (in that order), so the
    /// FMA chains are half as long. x is read from xp permuted (see <see cref="Lanes"/>).
    /// </summary>
    static abstract void Dot<TV, TOps>(byte* data, nint i, float* xp, ref TV a, ref TV b) where TV : unmanaged where TOps : struct, IVecOps<TV>;

    /// <summary><see cref="Dot"/> for two tokens sharing the widened weights: (a, b) with xa, (c, d) with xb.</summary>
    static abstract void Dot2<TV, TOps>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d)
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

    public static int Lanes => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot<TV, TOps>(byte* data, nint i, float* xp, ref TV a, ref TV b) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => a = TOps.Fma(TOps.Load((float*)data + i), TOps.Load(xp + i), a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2<TV, TOps>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        TV w = TOps.Load((float*)data + i);
        a = TOps.Fma(w, TOps.Load(xa + i), a);
        c = TOps.Fma(w, TOps.Load(xb + i), c);
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

    public static int Lanes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot<TV, TOps>(byte* data, nint i, float* xp, ref TV a, ref TV b) where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        TOps.LoadBf16Pair((ushort*)data + i, out TV w0, out TV w1);
        a = TOps.Fma(w0, TOps.Load(xp + i), a);
        b = TOps.Fma(w1, TOps.Load(xp + i + TOps.Count), b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2<TV, TOps>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        TOps.LoadBf16Pair((ushort*)data + i, out TV w0, out TV w1);
        a = TOps.Fma(w0, TOps.Load(xa + i), a);
        b = TOps.Fma(w1, TOps.Load(xa + i + TOps.Count), b);
        c = TOps.Fma(w0, TOps.Load(xb + i), c);
        d = TOps.Fma(w1, TOps.Load(xb + i + TOps.Count), d);
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

    public static int Lanes => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot<TV, TOps>(byte* data, nint i, float* xp, ref TV a, ref TV b) where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        TOps.LoadFp8Quad(data + i, out TV w0, out TV w1, out TV w2, out TV w3);
        a = TOps.Fma(w0, TOps.Load(xp + i), a);
        b = TOps.Fma(w1, TOps.Load(xp + i + V), b);
        a = TOps.Fma(w2, TOps.Load(xp + i + 2 * V), a);
        b = TOps.Fma(w3, TOps.Load(xp + i + 3 * V), b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot2<TV, TOps>(byte* data, nint i, float* xa, float* xb, ref TV a, ref TV b, ref TV c, ref TV d)
        where TV : unmanaged where TOps : struct, IVecOps<TV>
    {
        int V = TOps.Count;
        TOps.LoadFp8Quad(data + i, out TV w0, out TV w1, out TV w2, out TV w3);
        a = TOps.Fma(w0, TOps.Load(xa + i), a);
        b = TOps.Fma(w1, TOps.Load(xa + i + V), b);
        c = TOps.Fma(w0, TOps.Load(xb + i), c);
        d = TOps.Fma(w1, TOps.Load(xb + i + V), d);
        a = TOps.Fma(w2, TOps.Load(xa + i + 2 * V), a);
        b = TOps.Fma(w3, TOps.Load(xa + i + 3 * V), b);
        c = TOps.Fma(w2, TOps.Load(xb + i + 2 * V), c);
        d = TOps.Fma(w3, TOps.Load(xb + i + 3 * V), d);
    }
}
