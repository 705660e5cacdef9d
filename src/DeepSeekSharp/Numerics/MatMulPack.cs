using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// Packing of a GEMM weight panel: bp (KC, NR)[k, j] = widen(W[n0 + j, k0 + k]), the exact F32 value (FP8 without
/// its block scale). With 512-bit (256-bit) vectors, 16 (8) rows x 16 (8) columns are widened with SIMD and
/// transposed in registers (unpack, then 128-bit lane shuffles); the edges go element by element
/// (<see cref="PackScalar{TW}"/>, which is also the scalar twin). Every path writes the same values.
/// </summary>
internal static unsafe class MatMulPack
{
    /// <summary>bp[k, j] = widen(W[n0 + j, k0 + k]) for k &lt; kc, j &lt; nr; zero for j in [nr, NR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pack<TV, TOps, TW>(in WeightView w, int n0, int nr, int k0, int kc, float* bp, int NR)
        where TV : unmanaged where TOps : struct, IVecOps<TV> where TW : struct, IWeightLoad
    {
        int done = 0; // rows [0, done) packed with SIMD
        if (typeof(TV) == typeof(Vector512<float>)) done = Pack16<TW>(w, n0, nr, k0, kc, bp, NR);
        else if (typeof(TV) == typeof(Vector256<float>)) done = Pack8<TW>(w, n0, nr, k0, kc, bp, NR);
        PackScalar<TW>(w, n0 + done, nr - done, k0, kc, bp + done, NR);
        for (int j = nr; j < NR; j++)
            for (int k = 0; k < kc; k++) bp[k * NR + j] = 0;
    }

    /// <summary>The element-by-element pack of rows [n0, n0 + nr) into bp columns [0, nr).</summary>
    public static void PackScalar<TW>(in WeightView w, int n0, int nr, int k0, int kc, float* bp, int NR) where TW : struct, IWeightLoad
    {
        byte* data = w.Data;
        for (int j = 0; j < nr; j++)
        {
            nint o = (nint)(n0 + j) * w.Cols + k0;
            float* d = bp + j;
            int k = 0;
            for (; k + 4 <= kc; k += 4)
            {
                d[k * NR] = TW.Load1(data, o + k);
                d[(k + 1) * NR] = TW.Load1(data, o + k + 1);
                d[(k + 2) * NR] = TW.Load1(data, o + k + 2);
                d[(k + 3) * NR] = TW.Load1(data, o + k + 3);
            }
            for (; k < kc; k++) d[k * NR] = TW.Load1(data, o + k);
        }
    }

    /// <summary>A row vector of 16 exact F32 weights (FP8: the 2^-120 of the widening undone).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row16<TW>(byte* data, nint i) where TW : struct, IWeightLoad
    {
        var v = TW.Load<Vector512<float>, V512Ops>(data, i);
        return typeof(TW) == typeof(Fp8Load) ? v * Vector512.Create(Simd.Fp8Rebias) : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row8<TW>(byte* data, nint i) where TW : struct, IWeightLoad
    {
        var v = TW.Load<Vector256<float>, V256Ops>(data, i);
        return typeof(TW) == typeof(Fp8Load) ? v * Vector256.Create(Simd.Fp8Rebias) : v;
    }

    /// <summary>Packs whole groups of 16 rows: 16 x 16 tiles transposed in registers, the last kc % 16 columns one by one. Returns the rows packed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Pack16<TW>(in WeightView w, int n0, int nr, int k0, int kc, float* bp, int NR) where TW : struct, IWeightLoad
    {
        byte* data = w.Data;
        nint K = w.Cols;
        int j0 = 0;
        for (; j0 + 16 <= nr; j0 += 16)
        {
            nint o = (n0 + j0) * K + k0; // element offset of row j0, column k0
            int k = 0;
            for (; k + 16 <= kc; k += 16)
            {
                nint e = o + k;
                // Stage 1: interleave pairs of rows (32-bit elements within 128-bit lanes).
                var a0 = Avx512F.UnpackLow(Row16<TW>(data, e), Row16<TW>(data, e + K));
                var a1 = Avx512F.UnpackHigh(Row16<TW>(data, e), Row16<TW>(data, e + K));
                var a2 = Avx512F.UnpackLow(Row16<TW>(data, e + 2 * K), Row16<TW>(data, e + 3 * K));
                var a3 = Avx512F.UnpackHigh(Row16<TW>(data, e + 2 * K), Row16<TW>(data, e + 3 * K));
                var a4 = Avx512F.UnpackLow(Row16<TW>(data, e + 4 * K), Row16<TW>(data, e + 5 * K));
                var a5 = Avx512F.UnpackHigh(Row16<TW>(data, e + 4 * K), Row16<TW>(data, e + 5 * K));
                var a6 = Avx512F.UnpackLow(Row16<TW>(data, e + 6 * K), Row16<TW>(data, e + 7 * K));
                var a7 = Avx512F.UnpackHigh(Row16<TW>(data, e + 6 * K), Row16<TW>(data, e + 7 * K));
                var a8 = Avx512F.UnpackLow(Row16<TW>(data, e + 8 * K), Row16<TW>(data, e + 9 * K));
                var a9 = Avx512F.UnpackHigh(Row16<TW>(data, e + 8 * K), Row16<TW>(data, e + 9 * K));
                var a10 = Avx512F.UnpackLow(Row16<TW>(data, e + 10 * K), Row16<TW>(data, e + 11 * K));
                var a11 = Avx512F.UnpackHigh(Row16<TW>(data, e + 10 * K), Row16<TW>(data, e + 11 * K));
                var a12 = Avx512F.UnpackLow(Row16<TW>(data, e + 12 * K), Row16<TW>(data, e + 13 * K));
                var a13 = Avx512F.UnpackHigh(Row16<TW>(data, e + 12 * K), Row16<TW>(data, e + 13 * K));
                var a14 = Avx512F.UnpackLow(Row16<TW>(data, e + 14 * K), Row16<TW>(data, e + 15 * K));
                var a15 = Avx512F.UnpackHigh(Row16<TW>(data, e + 14 * K), Row16<TW>(data, e + 15 * K));
                // Stage 2: 64-bit interleave; b[4g + c] lane L = column 4L + c of rows 4g..4g+3.
                Quad(a0, a1, a2, a3, out var b0, out var b1, out var b2, out var b3);
                Quad(a4, a5, a6, a7, out var b4, out var b5, out var b6, out var b7);
                Quad(a8, a9, a10, a11, out var b8, out var b9, out var b10, out var b11);
                Quad(a12, a13, a14, a15, out var b12, out var b13, out var b14, out var b15);
                // Stages 3-4: 4 x 4 transpose of the 128-bit lanes; column 4L + c goes to bp row k + 4L + c.
                float* d = bp + (nint)k * NR + j0;
                Lanes(b0, b4, b8, b12, d, NR);
                Lanes(b1, b5, b9, b13, d + NR, NR);
                Lanes(b2, b6, b10, b14, d + 2 * NR, NR);
                Lanes(b3, b7, b11, b15, d + 3 * NR, NR);
            }
            if (k < kc) PackScalar<TW>(w, n0 + j0, 16, k0 + k, kc - k, bp + (nint)k * NR + j0, NR);
        }
        return j0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        out Vector512<float> b0, out Vector512<float> b1, out Vector512<float> b2, out Vector512<float> b3)
    {
        b0 = Avx512F.UnpackLow(a0.AsDouble(), a2.AsDouble()).AsSingle();
        b1 = Avx512F.UnpackHigh(a0.AsDouble(), a2.AsDouble()).AsSingle();
        b2 = Avx512F.UnpackLow(a1.AsDouble(), a3.AsDouble()).AsSingle();
        b3 = Avx512F.UnpackHigh(a1.AsDouble(), a3.AsDouble()).AsSingle();
    }

    /// <summary>Rows 0-3, 4-7, 8-11, 12-15 of columns 4L + c (lane L of p, q, r, s) stored at d + 4L * ld.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> p, Vector512<float> q, Vector512<float> r, Vector512<float> s, float* d, int ld)
    {
        var c0 = Avx512F.Shuffle4x128(p, q, 0x44); // p.L0 p.L1 q.L0 q.L1
        var c1 = Avx512F.Shuffle4x128(p, q, 0xEE); // p.L2 p.L3 q.L2 q.L3
        var c2 = Avx512F.Shuffle4x128(r, s, 0x44);
        var c3 = Avx512F.Shuffle4x128(r, s, 0xEE);
        Avx512F.Shuffle4x128(c0, c2, 0x88).Store(d);          // lane 0 of p q r s
        Avx512F.Shuffle4x128(c0, c2, 0xDD).Store(d + 4 * ld); // lane 1
        Avx512F.Shuffle4x128(c1, c3, 0x88).Store(d + 8 * ld); // lane 2
        Avx512F.Shuffle4x128(c1, c3, 0xDD).Store(d + 12 * ld); // lane 3
    }

    /// <summary>Packs whole groups of 8 rows: 8 x 8 tiles transposed in registers. Returns the rows packed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Pack8<TW>(in WeightView w, int n0, int nr, int k0, int kc, float* bp, int NR) where TW : struct, IWeightLoad
    {
        byte* data = w.Data;
        nint K = w.Cols;
        int j0 = 0;
        for (; j0 + 8 <= nr; j0 += 8)
        {
            nint o = (n0 + j0) * K + k0;
            int k = 0;
            for (; k + 8 <= kc; k += 8)
            {
                nint e = o + k;
                var a0 = Avx.UnpackLow(Row8<TW>(data, e), Row8<TW>(data, e + K));
                var a1 = Avx.UnpackHigh(Row8<TW>(data, e), Row8<TW>(data, e + K));
                var a2 = Avx.UnpackLow(Row8<TW>(data, e + 2 * K), Row8<TW>(data, e + 3 * K));
                var a3 = Avx.UnpackHigh(Row8<TW>(data, e + 2 * K), Row8<TW>(data, e + 3 * K));
                var a4 = Avx.UnpackLow(Row8<TW>(data, e + 4 * K), Row8<TW>(data, e + 5 * K));
                var a5 = Avx.UnpackHigh(Row8<TW>(data, e + 4 * K), Row8<TW>(data, e + 5 * K));
                var a6 = Avx.UnpackLow(Row8<TW>(data, e + 6 * K), Row8<TW>(data, e + 7 * K));
                var a7 = Avx.UnpackHigh(Row8<TW>(data, e + 6 * K), Row8<TW>(data, e + 7 * K));
                // b[4g + c] half L = column 4L + c of rows 4g..4g+3.
                var b0 = Avx.UnpackLow(a0.AsDouble(), a2.AsDouble()).AsSingle();
                var b1 = Avx.UnpackHigh(a0.AsDouble(), a2.AsDouble()).AsSingle();
                var b2 = Avx.UnpackLow(a1.AsDouble(), a3.AsDouble()).AsSingle();
                var b3 = Avx.UnpackHigh(a1.AsDouble(), a3.AsDouble()).AsSingle();
                var b4 = Avx.UnpackLow(a4.AsDouble(), a6.AsDouble()).AsSingle();
                var b5 = Avx.UnpackHigh(a4.AsDouble(), a6.AsDouble()).AsSingle();
                var b6 = Avx.UnpackLow(a5.AsDouble(), a7.AsDouble()).AsSingle();
                var b7 = Avx.UnpackHigh(a5.AsDouble(), a7.AsDouble()).AsSingle();
                float* d = bp + (nint)k * NR + j0;
                Avx.Permute2x128(b0, b4, 0x20).Store(d);
                Avx.Permute2x128(b1, b5, 0x20).Store(d + NR);
                Avx.Permute2x128(b2, b6, 0x20).Store(d + 2 * NR);
                Avx.Permute2x128(b3, b7, 0x20).Store(d + 3 * NR);
                Avx.Permute2x128(b0, b4, 0x31).Store(d + 4 * NR);
                Avx.Permute2x128(b1, b5, 0x31).Store(d + 5 * NR);
                Avx.Permute2x128(b2, b6, 0x31).Store(d + 6 * NR);
                Avx.Permute2x128(b3, b7, 0x31).Store(d + 7 * NR);
            }
            if (k < kc) PackScalar<TW>(w, n0 + j0, 8, k0 + k, kc - k, bp + (nint)k * NR + j0, NR);
        }
        return j0;
    }
}
