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
}

internal readonly unsafe struct F32Load : IWeightLoad
{
    public static int Size => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TOps>(byte* data, nint i) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => TOps.Load((float*)data + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* data, nint i) => ((float*)data)[i];
}

internal readonly unsafe struct Bf16Load : IWeightLoad
{
    public static int Size => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TOps>(byte* data, nint i) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => TOps.LoadBf16((ushort*)data + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* data, nint i) => BitConverter.Int32BitsToSingle(((ushort*)data)[i] << 16);
}

internal readonly unsafe struct Fp8Load : IWeightLoad
{
    public static int Size => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TV, TOps>(byte* data, nint i) where TV : unmanaged where TOps : struct, IVecOps<TV>
        => TOps.LoadFp8(data + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* data, nint i) => BitConverter.UInt32BitsToSingle(Simd.Fp8Bits(data[i])) * Simd.Fp8Rebias;
}
