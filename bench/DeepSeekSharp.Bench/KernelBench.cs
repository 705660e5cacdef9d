using System.Diagnostics;
using System.Runtime.InteropServices;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Bench;

/// <summary>
/// A weight of the given shape and dtype, repeated in enough copies that cycling through them reads at least
/// minBytes (so decode products stream from DRAM, not from the caches).
/// </summary>
internal sealed unsafe class WeightSet : IDisposable
{
    private readonly List<nint> _blocks = [];
    private readonly List<LargePageBuffer> _weights = []; // 2 MiB pages, as resident checkpoint weights

    public WeightSet(DType dtype, int rows, int cols, long minBytes, int seed)
    {
        var rng = new Random(seed);
        long n = (long)rows * cols;
        int size = DTypes.SizeOf(dtype);
        long one = n * size;
        int copies = (int)Math.Max(1, (minBytes + one - 1) / one);
        // One random row pattern (finite values only, FP8 subnormals included), repeated.
        var pattern = new byte[Math.Min(one, 1 << 20)];
        for (int i = 0; i < pattern.Length; i += size)
        {
            float v = (float)(rng.NextDouble() * 2 - 1);
            switch (dtype)
            {
                case DType.F32: BitConverter.TryWriteBytes(pattern.AsSpan(i), v); break;
                case DType.BF16: BitConverter.TryWriteBytes(pattern.AsSpan(i), BFloat16.FromSingle(v)); break;
                default: pattern[i] = (byte)rng.Next(256); if ((pattern[i] & 0x7F) == 0x7F) pattern[i] ^= 1; break; // no NaN codes
            }
        }
        Views = new WeightView[copies];
        int sr = (rows + 127) / 128, sc = (cols + 127) / 128;
        for (int c = 0; c < copies; c++)
        {
            var mem = new LargePageBuffer(one);
            _weights.Add(mem);
            var data = mem.Pointer;
            for (long o = 0; o < one; o += pattern.Length)
                pattern.AsSpan(0, (int)Math.Min(pattern.Length, one - o)).CopyTo(new Span<byte>(data + o, (int)Math.Min(pattern.Length, one - o)));
            float* scales = null;
            if (dtype == DType.F8_E4M3)
            {
                scales = (float*)NativeMemory.AlignedAlloc((nuint)(sr * sc * 4), 64);
                _blocks.Add((nint)scales);
                for (int i = 0; i < sr * sc; i++) scales[i] = (float)(0.5 + rng.NextDouble()) / 256;
            }
            Views[c] = new WeightView(dtype, data, rows, cols, scales);
        }
    }

    public WeightView[] Views { get; }

    public void Dispose()
    {
        foreach (var p in _blocks) NativeMemory.AlignedFree((void*)p);
        foreach (var m in _weights) m.Dispose();
    }
}

internal static class KernelBench
{
    /// <summary>Time per product, best of several passes through the copies.</summary>
    public static Timing TimeProduct(WeightSet ws, float[] x, float[] y, int T, int threads, double minSeconds)
    {
        for (int i = 0; i < Math.Min(3, ws.Views.Length); i++) MatMul.Forward(ws.Views[i], x, y, T); // warm-up
        var best = Timing.Worst;
        var total = Stopwatch.StartNew();
        int k = 0;
        do
        {
            int calls = Math.Max(ws.Views.Length, 4);
            var t = Timing.Measure(threads, () =>
            {
                for (int c = 0; c < calls; c++) MatMul.Forward(ws.Views[k++ % ws.Views.Length], x, y, T);
            });
            best = Timing.Best(best, t.Per(calls));
        } while (total.Elapsed.TotalSeconds < minSeconds);
        return best;
    }
}
