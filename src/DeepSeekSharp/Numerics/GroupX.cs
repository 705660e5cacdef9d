using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekSharp.Numerics;

/// <summary>The x permutation of the decode groups (<see cref="IWeightLoad.Interleave"/>).</summary>
internal static unsafe class GroupX
{
    /// <summary>
    /// xp (n) = x * scale with every full group of each column chunk [c0, c0 + chunk) permuted: lane j of the group at
    /// column g is x[g + lanes i + j] (i &lt; count) stored at xp[g + j count + i]. Columns past a chunk's last full
    /// group are copied in place (the kernels' scalar tails read them from x). x holds rows of cols values.
    /// Register permutes for 16- and 8-wide vectors (a decode product calls this once per weight slice, so it must
    /// cost far less than the slice's weight bytes); <see cref="PermuteScalar"/> is its twin.
    /// </summary>
    public static void Permute(float* x, float* xp, int n, int cols, int chunk, int lanes, int count, float scale)
        => Permute(x, xp, n, cols, chunk, lanes, count, scale, vector: true);

    /// <summary>The element-by-element twin of <see cref="Permute(float*, float*, int, int, int, int, int, float)"/>.</summary>
    public static void PermuteScalar(float* x, float* xp, int n, int cols, int chunk, int lanes, int count, float scale)
        => Permute(x, xp, n, cols, chunk, lanes, count, scale, vector: false);

    private static void Permute(float* x, float* xp, int n, int cols, int chunk, int lanes, int count, float scale, bool vector)
    {
        int G = lanes * count;
        for (int r0 = 0; r0 < n; r0 += cols)
            for (int c0 = 0; c0 < cols; c0 += chunk)
            {
                int c1 = Math.Min(cols, c0 + chunk);
                int cg = c0 + (c1 - c0) / G * G;
                float* src = x + r0, dst = xp + r0;
                int g = c0;
                if (vector && count == 16 && lanes > 1 && Avx512F.IsSupported)
                    for (; g < cg; g += G) Group16(src + g, dst + g, lanes, scale);
                else if (vector && count == 8 && lanes > 1 && Avx2.IsSupported)
                    for (; g < cg; g += G) Group8(src + g, dst + g, lanes, scale);
                for (; g < cg; g += G) GroupScalar(src + g, dst + g, lanes, count, scale);
                for (int k = cg; k < c1; k++) dst[k] = src[k] * scale;
            }
    }

    private static void GroupScalar(float* x, float* xp, int lanes, int count, float scale)
    {
        for (int j = 0; j < lanes; j++)
            for (int i = 0; i < count; i++)
                xp[j * count + i] = x[lanes * i + j] * scale;
    }

    /// <summary>One group of 16-wide lanes (2: 32 columns, 4: 64) with two-source permutes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group16(float* x, float* xp, int lanes, float scale)
    {
        var s = Vector512.Create(scale);
        var a = Vector512.Load(x) * s;
        var b = Vector512.Load(x + 16) * s;
        if (lanes == 2)
        {
            Avx512F.PermuteVar16x32x2(a, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b).Store(xp);
            Avx512F.PermuteVar16x32x2(a, Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b).Store(xp + 16);
            return;
        }
        var c = Vector512.Load(x + 32) * s;
        var d = Vector512.Load(x + 48) * s;
        var i01 = Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29); // columns = 0 and 1 mod 4
        var i23 = Vector512.Create(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31); // 2 and 3 mod 4
        var p0 = Avx512F.PermuteVar16x32x2(a, i01, b);
        var p1 = Avx512F.PermuteVar16x32x2(a, i23, b);
        var q0 = Avx512F.PermuteVar16x32x2(c, i01, d);
        var q1 = Avx512F.PermuteVar16x32x2(c, i23, d);
        var lo = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        var hi = Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
        Avx512F.PermuteVar16x32x2(p0, lo, q0).Store(xp);
        Avx512F.PermuteVar16x32x2(p0, hi, q0).Store(xp + 16);
        Avx512F.PermuteVar16x32x2(p1, lo, q1).Store(xp + 32);
        Avx512F.PermuteVar16x32x2(p1, hi, q1).Store(xp + 48);
    }

    /// <summary>One group of 8-wide lanes (2: 16 columns, 4: 32) with in-lane shuffles and a cross-lane permute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group8(float* x, float* xp, int lanes, float scale)
    {
        var s = Vector256.Create(scale);
        var a = Vector256.Load(x) * s;
        var b = Vector256.Load(x + 8) * s;
        if (lanes == 2)
        {
            // shuffle 0x88 / 0xDD: [a0 a2 b0 b2 | a4 a6 b4 b6] / the odd ones; 64-bit permute 0xD8 orders the halves.
            Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle().Store(xp);
            Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle().Store(xp + 8);
            return;
        }
        var c = Vector256.Load(x + 16) * s;
        var d = Vector256.Load(x + 24) * s;
        var ev = Avx.Shuffle(a, b, 0x88); // [a0 a2 b0 b2 | a4 a6 b4 b6]
        var od = Avx.Shuffle(a, b, 0xDD); // [a1 a3 b1 b3 | a5 a7 b5 b7]
        var ev2 = Avx.Shuffle(c, d, 0x88);
        var od2 = Avx.Shuffle(c, d, 0xDD);
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        Avx2.PermuteVar8x32(Avx.Shuffle(ev, ev2, 0x88), order).Store(xp);      // [a0 a4 b0 b4 c0 c4 d0 d4]
        Avx2.PermuteVar8x32(Avx.Shuffle(od, od2, 0x88), order).Store(xp + 8);  // columns 1 mod 4
        Avx2.PermuteVar8x32(Avx.Shuffle(ev, ev2, 0xDD), order).Store(xp + 16); // 2 mod 4
        Avx2.PermuteVar8x32(Avx.Shuffle(od, od2, 0xDD), order).Store(xp + 24); // 3 mod 4
    }
}
