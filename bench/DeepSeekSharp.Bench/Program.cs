using DeepSeekSharp.Bench;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

// Kernel microbenchmarks, reported against this machine's limits measured in the same run.
// Usage: DeepSeekSharp.Bench [--threads N] [--prefill-tokens T] [--seconds S]
int threads = WorkerPool.DefaultThreads(), prefillT = 512;
double seconds = 1.0;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[i + 1]); break;
        case "--prefill-tokens": prefillT = int.Parse(args[i + 1]); break;
        case "--seconds": seconds = double.Parse(args[i + 1]); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
var pool = WorkerPool.Shared;
pool.SetThreads(threads);
using var one = new WorkerPool(1);

Console.WriteLine($"threads {threads}, prefill T {prefillT}, {Environment.ProcessorCount} logical CPUs");
unsafe
{
    const long floats = 1L << 28; // 1 GiB
    float* buf = MachineLimits.Alloc(floats);
    double bw1 = MachineLimits.ReadBandwidth(buf, floats, one);
    double bwN = MachineLimits.ReadBandwidth(buf, floats, pool);
    System.Runtime.InteropServices.NativeMemory.AlignedFree(buf);
    double fma1 = MachineLimits.FmaPeak(one);
    double fmaN = MachineLimits.FmaPeak(pool);
    Console.WriteLine($"memory read bandwidth: {bw1:F1} GB/s on 1 thread, {bwN:F1} GB/s on {threads}");
    Console.WriteLine($"F32 FMA peak:          {fma1:F0} GFLOP/s on 1 thread, {fmaN:F0} GFLOP/s on {threads}");
    Console.WriteLine();

    (int Rows, int Cols)[] shapes = [(7168, 2048), (2048, 7168), (7168, 576), (1536, 24576)];
    DType[] dtypes = [DType.BF16, DType.F8_E4M3, DType.F32];
    Console.WriteLine("shape (out x in)  dtype    | decode T=1: GB/s  of bw  | prefill T=" + prefillT + ": GFLOP/s  of peak");
    var decodeFr = new List<double>();
    var prefillFr = new List<double>();
    foreach (var dt in dtypes)
        foreach (var (rows, cols) in shapes)
        {
            using var ws = new WeightSet(dt, rows, cols, 768L << 20, rows + cols);
            var x1 = new float[cols];
            var y1 = new float[rows];
            for (int i = 0; i < cols; i++) x1[i] = (i % 7 - 3) * 0.1f;
            double s1 = KernelBench.TimeProduct(ws, x1, y1, 1, seconds);
            double gbs = ws.Views[0].ByteLength / s1 / 1e9;

            var xT = new float[prefillT * cols];
            var yT = new float[prefillT * rows];
            for (int i = 0; i < xT.Length; i++) xT[i] = (i % 11 - 5) * 0.1f;
            double sT = KernelBench.TimeProduct(ws, xT, yT, prefillT, seconds);
            double gflops = 2.0 * prefillT * rows * cols / sT / 1e9;
            if (dt != DType.F32) decodeFr.Add(gbs / bwN);
            prefillFr.Add(gflops / fmaN);
            Console.WriteLine($"{rows,6} x {cols,-6}   {dt,-8} | {gbs,8:F1}  {gbs / bwN,6:P0}    | {gflops,8:F0}  {gflops / fmaN,6:P0}");
        }
    Console.WriteLine();
    Console.WriteLine($"decode GEMV (BF16+FP8): mean {decodeFr.Average():P0} of the measured {threads}-thread bandwidth (target 80%)");
    Console.WriteLine($"prefill GEMM (all):     mean {prefillFr.Average():P0} of the measured {threads}-thread FMA peak (target 60%)");
}
return 0;
