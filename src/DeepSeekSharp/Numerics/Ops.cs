using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// Element-wise and row operations of the forward pass, vectorised with Vector512 where AVX-512 runs,
/// else Vector256, else plain loops. Same semantics as the reference twins in <see cref="OpsScalar"/>
/// (sums of squares and softmax denominators accumulate in double there and here).
/// </summary>
public static class Ops
{
    /// <summary>
    /// Index of the largest value, the lowest index among equals; with a NaN, the index of the first NaN; -1 when x is
    /// empty. Two vector passes (the maximum, then its first position) over a vocabulary row of logits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        if (x.Length == 0) return -1;
        ref float r0 = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float max = float.NegativeInfinity;
        bool nan = false;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var m = Vector512.Create(float.NegativeInfinity);
            var bad = Vector512<float>.Zero.AsInt32();
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref r0, (nuint)i);
                bad |= (~Vector512.Equals(v, v)).AsInt32(); // NaN != NaN
                m = Vector512.MaxNative(m, v);
            }
            nan = bad != Vector512<int>.Zero;
            for (int k = 0; k < 16; k++) max = Math.Max(max, m.GetElement(k));
        }
        for (int k = i; k < n; k++)
        {
            float v = Unsafe.Add(ref r0, k);
            if (float.IsNaN(v)) nan = true;
            else if (v > max) max = v;
        }
        if (nan)
        {
            for (int k = 0; k < n; k++) if (float.IsNaN(Unsafe.Add(ref r0, k))) return k;
        }
        i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var mv = Vector512.Create(max);
            for (; i + 16 <= n; i += 16)
            {
                ulong hit = Vector512.Equals(Vector512.LoadUnsafe(ref r0, (nuint)i), mv).ExtractMostSignificantBits();
                if (hit != 0) return i + BitOperations.TrailingZeroCount(hit);
            }
        }
        for (; i < n; i++) if (Unsafe.Add(ref r0, i) == max) return i;
        return 0; // not reached: max is one of the values
    }

    /// <summary>RMSNorm: y = w * x / sqrt(mean(x^2) + eps), row by row. x, y: (T, n); w: (n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int n, float eps)
    {
        int T = x.Length / n;
        for (int t = 0; t < T; t++)
        {
            var xr = x.Slice(t * n, n);
            var yr = y.Slice(t * n, n);
            float inv = (float)(1.0 / Math.Sqrt(SumSquares(xr) / n + eps));
            Scale3(xr, w[..n], inv, yr);
        }
    }

    /// <summary>sum(x^2) in double.</summary>
    private static double SumSquares(ReadOnlySpan<float> x)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        int i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= 16)
        {
            Vector512<double> a0 = Vector512<double>.Zero, a1 = Vector512<double>.Zero;
            for (; i + 16 <= x.Length; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref px, (nuint)i));
                a0 = Vector512.FusedMultiplyAdd(lo, lo, a0);
                a1 = Vector512.FusedMultiplyAdd(hi, hi, a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            Vector256<double> a0 = Vector256<double>.Zero, a1 = Vector256<double>.Zero;
            for (; i + 8 <= x.Length; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref px, (nuint)i));
                a0 += lo * lo;
                a1 += hi * hi;
            }
            s = Vector256.Sum(a0 + a1);
        }
        for (; i < x.Length; i++) s += (double)x[i] * x[i];
        return s;
    }

    /// <summary>y[i] = w[i] * (x[i] * s).</summary>
    private static void Scale3(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float s, Span<float> y)
    {
        int n = x.Length, i = 0;
        if (w.Length < n || y.Length < n) throw new ArgumentException("RmsNorm: w and y need n values");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float py = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                (Vector512.LoadUnsafe(ref pw, (nuint)i) * (Vector512.LoadUnsafe(ref px, (nuint)i) * s)).StoreUnsafe(ref py, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
                (Vector256.LoadUnsafe(ref pw, (nuint)i) * (Vector256.LoadUnsafe(ref px, (nuint)i) * s)).StoreUnsafe(ref py, (nuint)i);
        for (; i < n; i++) y[i] = w[i] * (x[i] * s);
    }

    /// <summary>In-place softmax over x (max-subtracted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(Span<float> x)
    {
        if (x.Length == 0) return;
        ref float px = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float max = float.NegativeInfinity;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var m = Vector512.Create(float.NegativeInfinity);
            for (; i + 16 <= n; i += 16) m = Vector512.Max(m, Vector512.LoadUnsafe(ref px, (nuint)i));
            max = m.ToScalar();
            for (int j = 1; j < 16; j++) max = Math.Max(max, m.GetElement(j));
            for (; i < n; i++) if (x[i] > max) max = x[i];
            var vmax = Vector512.Create(max);
            Vector512<double> s0 = Vector512<double>.Zero, s1 = Vector512<double>.Zero;
            for (i = 0; i + 16 <= n; i += 16)
            {
                var e = Vector512.Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - vmax);
                e.StoreUnsafe(ref px, (nuint)i);
                var (lo, hi) = Vector512.Widen(e);
                s0 += lo;
                s1 += hi;
            }
            sum = Vector512.Sum(s0 + s1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var m = Vector256.Create(float.NegativeInfinity);
            for (; i + 8 <= n; i += 8) m = Vector256.Max(m, Vector256.LoadUnsafe(ref px, (nuint)i));
            max = m.ToScalar();
            for (int j = 1; j < 8; j++) max = Math.Max(max, m.GetElement(j));
            for (; i < n; i++) if (x[i] > max) max = x[i];
            var vmax = Vector256.Create(max);
            Vector256<double> s0 = Vector256<double>.Zero, s1 = Vector256<double>.Zero;
            for (i = 0; i + 8 <= n; i += 8)
            {
                var e = Vector256.Exp(Vector256.LoadUnsafe(ref px, (nuint)i) - vmax);
                e.StoreUnsafe(ref px, (nuint)i);
                var (lo, hi) = Vector256.Widen(e);
                s0 += lo;
                s1 += hi;
            }
            sum = Vector256.Sum(s0 + s1);
        }
        else
        {
            for (; i < n; i++) if (x[i] > max) max = x[i];
            i = 0;
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        Scale(x, (float)(1.0 / sum));
    }

    /// <summary>x *= s.</summary>
    private static void Scale(Span<float> x, float s)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) (Vector512.LoadUnsafe(ref px, (nuint)i) * s).StoreUnsafe(ref px, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) (Vector256.LoadUnsafe(ref px, (nuint)i) * s).StoreUnsafe(ref px, (nuint)i);
        for (; i < n; i++) x[i] *= s;
    }

    /// <summary>out[i] = silu(gate[i]) * up[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SiluMul(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        int n = output.Length, i = 0;
        if (gate.Length < n || up.Length < n) throw new ArgumentException("SiluMul: gate and up need output.Length values");
        ref float pg = ref MemoryMarshal.GetReference(gate);
        ref float pu = ref MemoryMarshal.GetReference(up);
        ref float po = ref MemoryMarshal.GetReference(output);
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
            {
                var g = Vector512.LoadUnsafe(ref pg, (nuint)i);
                (g / (Vector512<float>.One + Vector512.Exp(-g)) * Vector512.LoadUnsafe(ref pu, (nuint)i)).StoreUnsafe(ref po, (nuint)i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref pg, (nuint)i);
                (g / (Vector256<float>.One + Vector256.Exp(-g)) * Vector256.LoadUnsafe(ref pu, (nuint)i)).StoreUnsafe(ref po, (nuint)i);
            }
        for (; i < n; i++)
        {
            float g = gate[i];
            output[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>
    /// RoPE on interleaved pairs (x0,x1),(x2,x3)...: x[2i], x[2i+1] rotated by angle pos * freqs[i].
    /// cos/sin: precomputed rows of length n/2 for this position.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RopeInterleaved(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = cos.Length, i = 0;
        if (sin.Length < half || x.Length < 2 * half) throw new ArgumentException("RopeInterleaved: x needs 2 * cos.Length values, sin cos.Length");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pc = ref MemoryMarshal.GetReference(cos);
        ref float ps = ref MemoryMarshal.GetReference(sin);
        if (Vector512.IsHardwareAccelerated)
        {
            var dup = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
            var swap = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
            var sign = Vector512.Create(-1f, 1f, -1f, 1f, -1f, 1f, -1f, 1f, -1f, 1f, -1f, 1f, -1f, 1f, -1f, 1f);
            for (; i + 8 <= half; i += 8)
            {
                var v = Vector512.LoadUnsafe(ref px, (nuint)(2 * i));
                var c = Vector512.Shuffle(Vector256.LoadUnsafe(ref pc, (nuint)i).ToVector512Unsafe(), dup);
                var s = Vector512.Shuffle(Vector256.LoadUnsafe(ref ps, (nuint)i).ToVector512Unsafe(), dup) * sign;
                // (a, b) -> (a c - b s, b c + a s): the same products and sums as the scalar twin.
                (v * c + Vector512.Shuffle(v, swap) * s).StoreUnsafe(ref px, (nuint)(2 * i));
            }
        }
        for (; i < half; i++)
        {
            float a = x[2 * i], b = x[2 * i + 1];
            x[2 * i] = a * cos[i] - b * sin[i];
            x[2 * i + 1] = a * sin[i] + b * cos[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length, i = 0;
        if (b.Length < n) throw new ArgumentException("Dot: b is shorter than a");
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        float s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 64 <= n; i += 64)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)(i + 16)), Vector512.LoadUnsafe(ref pb, (nuint)(i + 16)), s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)(i + 32)), Vector512.LoadUnsafe(ref pb, (nuint)(i + 32)), s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)(i + 48)), Vector512.LoadUnsafe(ref pb, (nuint)(i + 48)), s3);
            }
            for (; i + 16 <= n; i += 16)
                s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), s0);
            s = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; i + 16 <= n; i += 16)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)(i + 8)), Vector256.LoadUnsafe(ref pb, (nuint)(i + 8)), s1);
            }
            for (; i + 8 <= n; i += 8)
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), s0);
            s = Vector256.Sum(s0 + s1);
        }
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y += alpha * x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        int n = y.Length, i = 0;
        if (x.Length < n) throw new ArgumentException("Axpy: x is shorter than y");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(alpha);
            for (; i + 16 <= n; i += 16)
                Vector512.FusedMultiplyAdd(va, Vector512.LoadUnsafe(ref px, (nuint)i), Vector512.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(alpha);
            for (; i + 8 <= n; i += 8)
                Vector256.FusedMultiplyAdd(va, Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) y[i] += alpha * x[i];
    }
}
