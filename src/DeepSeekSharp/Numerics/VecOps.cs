using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// The vector operations the matrix kernels are written against, as static members of a struct so that the
/// JIT compiles one specialised copy of each kernel per vector width (512, 256 bits, or a plain float).
/// Weights are widened to F32 on load: BF16 by a shift left of 16; FP8 E4M3 exactly by placing its sign and
/// 7 magnitude bits under the F32 sign/exponent (bits 31 and 26..20) and multiplying by 2^120, which moves the
/// E4M3 bias (7) to the F32 bias (127) and maps E4M3 subnormals onto F32 subnormals exactly. (The NaN codes
/// 0x7F/0xFF come out as +-480; DeepSeek weights hold no NaN.)
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
    static abstract float Sum(TV v);
    static abstract TV LoadBf16(ushort* p);
    static abstract TV LoadFp8(byte* p);
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
    public static float Sum(Vector512<float> v) => Vector512.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBf16(ushort* p)
        => Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadFp8(byte* p)
    {
        // s eeee mmm -> bits 31..24, arithmetic shift by 4 leaves eeee mmm at 26..20, mask away the sign copies.
        var b = Avx512F.ConvertToVector512Int32(Vector128.Load(p));
        var v = Avx512F.ShiftRightArithmetic(Avx512F.ShiftLeftLogical(b, 24), 4) & Vector512.Create(unchecked((int)0x87F00000));
        return Avx512F.Multiply(v.AsSingle(), Vector512.Create(Simd.Fp8Rebias));
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
    public static float Sum(Vector256<float> v) => Vector256.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBf16(ushort* p)
        => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load(p)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadFp8(byte* p)
    {
        var b = Avx2.ConvertToVector256Int32(Vector128.CreateScalar(*(ulong*)p).AsByte());
        var v = Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(b, 24), 4) & Vector256.Create(unchecked((int)0x87F00000));
        return Avx.Multiply(v.AsSingle(), Vector256.Create(Simd.Fp8Rebias));
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
    public static float Sum(float v) => v;
    public static float LoadBf16(ushort* p) => BFloat16.ToSingle(*p);
    public static float LoadFp8(byte* p) => Fp8E4M3.ToSingle(*p);
}
