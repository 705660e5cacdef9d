using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// The vector operations the matrix kernels are written against, as static members of a struct so that the
/// JIT compiles one specialised copy of each kernel per vector width (512, 256 bits, or a plain float).
/// Weights are widened to F32 on load: BF16 by a shift left of 16; FP8 E4M3 by placing its sign and 7 magnitude
/// bits under the F32 sign/exponent (bits 31 and 26..20), which gives exactly value * 2^-120 (the bias moves
/// from 7 to 127; E4M3 subnormals land on F32 subnormals). The kernels fold the 2^120 back in: they multiply
/// x by <see cref="Simd.Fp8XScale"/> (shared by all weight rows) and each block's partial sum by
/// <see cref="Simd.Fp8OutScale"/> with the block scale; powers of two, so the products are exact.
/// (The NaN codes 0x7F/0xFF come out as +-480; DeepSeek weights hold no NaN.)
/// </summary>
internal unsafe interface IVecOps<TV> where TV : unmanaged
{
    static abstract int Count { get; }
    static abstract TV Zero { get; }
    static abstract TV Broadcast(float v);
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);
    /// <summary>a * b + c.</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract TV Mul(TV a, TV b);
    static abstract TV Add(TV a, TV b);
    static abstract float Sum(TV v);
    static abstract TV LoadBf16(ushort* p);
    /// <summary>E4M3 codes widened to value * 2^-120 (see above).</summary>
    static abstract TV LoadFp8(byte* p);
    /// <summary>
    /// 2 Count BF16 values read as Count 32-bit words and split without a shuffle: even = p[0], p[2], ... (each word's
    /// low half shifted up), odd = p[1], p[3], ... (each word's high half, masked).
    /// </summary>
    static abstract void LoadBf16Pair(ushort* p, out TV even, out TV odd);
    /// <summary>
    /// 4 Count E4M3 codes read as Count 32-bit words and widened (value * 2^-120) without a shuffle: wj = p[j], p[4 + j],
    /// p[8 + j], ... Each byte is brought to the top of a 16-bit half, shifted right arithmetically by 4 (sign copies on
    /// bits 15..11, eeee mmm on 10..4), moved to the word's top half if it was the low one, and masked as in LoadFp8.
    /// </summary>
    static abstract void LoadFp8Quad(byte* p, out TV w0, out TV w1, out TV w2, out TV w3);
}

/// <summary>Which of the vector widths this machine runs.</summary>
internal enum SimdTier
{
    Scalar,
    V256,
    V512,
}

internal static class Simd
{
    public static SimdTier Best =>
        Avx512F.IsSupported && Avx512BW.IsSupported ? SimdTier.V512
        : Avx2.IsSupported && Fma.IsSupported ? SimdTier.V256
        : SimdTier.Scalar;

    public static bool IsSupported(SimdTier t) => t <= Best;

    /// <summary>2^120: moves an E4M3 value placed under the F32 exponent onto its true magnitude.</summary>
    public const float Fp8Rebias = 1.329228e36f;

    /// <summary>2^100: x is scaled by this for FP8 rows (|x| up to 2^28 stays finite).</summary>
    public const float Fp8XScale = 1.2676506e30f;

    /// <summary>2^20 = 2^120 / 2^100: what a block's partial sum of FP8 rows is multiplied by, with its scale.</summary>
    public const float Fp8OutScale = 1048576f;

    /// <summary>The F32 bit pattern of an E4M3 byte, up to the factor 2^-120 (exact, subnormals included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Fp8Bits(uint b) => ((b & 0x80u) << 24) | ((b & 0x7Fu) << 20);
}

internal readonly unsafe struct V512Ops : IVecOps<Vector512<float>>
{
    public static int Count => 16;
    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float v) => Vector512.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector512<float> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Vector512.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBf16Pair(ushort* p, out Vector512<float> even, out Vector512<float> odd)
    {
        var v = Vector512.Load((uint*)p);
        even = Avx512F.ShiftLeftLogical(v, 16).AsSingle();
        odd = (v & Vector512.Create(0xFFFF0000u)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadFp8Quad(byte* p, out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> w2, out Vector512<float> w3)
    {
        var m = Vector512.Create(unchecked((int)0x87F00000));
        var v = Vector512.Load((short*)p);
        var hi = Avx512BW.ShiftRightArithmetic(v, 4).AsInt32();                                  // bytes 1 and 3 of each word
        var lo = Avx512BW.ShiftRightArithmetic(Avx512BW.ShiftLeftLogical(v, 8), 4).AsInt32(); // bytes 0 and 2
        w0 = (Avx512F.ShiftLeftLogical(lo, 16) & m).AsSingle();
        w1 = (Avx512F.ShiftLeftLogical(hi, 16) & m).AsSingle();
        w2 = (lo & m).AsSingle();
        w3 = (hi & m).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBf16(ushort* p)
        => Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadFp8(byte* p)
    {
        // Sign-extend s eeee mmm, shift left 20: eeee mmm lands on bits 26..20 and copies of s on 31..27;
        // the mask keeps bit 31 and the magnitude.
        var b = Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)p));
        return (Avx512F.ShiftLeftLogical(b, 20) & Vector512.Create(unchecked((int)0x87F00000))).AsSingle();
    }
}

internal readonly unsafe struct V256Ops : IVecOps<Vector256<float>>
{
    public static int Count => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float v) => Vector256.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector256<float> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => Vector256.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBf16Pair(ushort* p, out Vector256<float> even, out Vector256<float> odd)
    {
        var v = Vector256.Load((uint*)p);
        even = Avx2.ShiftLeftLogical(v, 16).AsSingle();
        odd = (v & Vector256.Create(0xFFFF0000u)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadFp8Quad(byte* p, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        var m = Vector256.Create(unchecked((int)0x87F00000));
        var v = Vector256.Load((short*)p);
        var hi = Avx2.ShiftRightArithmetic(v, 4).AsInt32();
        var lo = Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(v, 8), 4).AsInt32();
        w0 = (Avx2.ShiftLeftLogical(lo, 16) & m).AsSingle();
        w1 = (Avx2.ShiftLeftLogical(hi, 16) & m).AsSingle();
        w2 = (lo & m).AsSingle();
        w3 = (hi & m).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBf16(ushort* p)
        => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load(p)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadFp8(byte* p)
    {
        var b = Avx2.ConvertToVector256Int32(Vector128.CreateScalar(*(ulong*)p).AsSByte());
        return (Avx2.ShiftLeftLogical(b, 20) & Vector256.Create(unchecked((int)0x87F00000))).AsSingle();
    }
}

/// <summary>The plain fallback: one float per "vector" (the same kernels, compiled for scalars).</summary>
internal readonly unsafe struct ScalarOps : IVecOps<float>
{
    public static int Count => 1;
    public static float Zero => 0f;
    public static float Broadcast(float v) => v;
    public static float Load(float* p) => *p;
    public static void Store(float* p, float v) => *p = v;
    public static float Fma(float a, float b, float c) => a * b + c;
    public static float Mul(float a, float b) => a * b;
    public static float Add(float a, float b) => a + b;
    public static float Sum(float v) => v;
    public static void LoadBf16Pair(ushort* p, out float even, out float odd) { even = BFloat16.ToSingle(p[0]); odd = BFloat16.ToSingle(p[1]); }
    public static void LoadFp8Quad(byte* p, out float w0, out float w1, out float w2, out float w3)
    {
        w0 = BitConverter.UInt32BitsToSingle(Simd.Fp8Bits(p[0]));
        w1 = BitConverter.UInt32BitsToSingle(Simd.Fp8Bits(p[1]));
        w2 = BitConverter.UInt32BitsToSingle(Simd.Fp8Bits(p[2]));
        w3 = BitConverter.UInt32BitsToSingle(Simd.Fp8Bits(p[3]));
    }
    public static float LoadBf16(ushort* p) => BFloat16.ToSingle(*p);
    public static float LoadFp8(byte* p) => BitConverter.UInt32BitsToSingle(Simd.Fp8Bits(*p));
}
