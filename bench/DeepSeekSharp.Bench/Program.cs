using DeepSeekSharp.Bench;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

// Kernel microbenchmarks, reported against this machine's limits measured in the same run.
// Usage: DeepSeekSharp.Bench [--threads N] [--prefill-tokens T] [--seconds S] [--only decode|prefill] [--hot]
//        DeepSeekSharp.Bench --model DIR [--steps N] [--threads N] [--weights memory|mmap] [--compare-residence]: where a decode step of a checkpoint spends its time
//        DeepSeekSharp.Bench --ratio [--rounds N]: decode products against the bandwidth probed right before each
//        DeepSeekSharp.Bench --attention [--positions S]: absorbed attention's scores and latent mix for one token
// --hot: one copy of each weight, so a decode product reads it from the caches (the kernel's compute ceiling).
int threads = WorkerPool.DefaultThreads(), prefillT = 512;
double seconds = 1.0;
string only = "", model = "";
int profileSteps = 32;
bool hot = false, compareResidence = false, ratio = false, attention = false;
int positions = 576;
int rounds = 7;
var residence = WeightResidence.Auto;
for (int i = 0; i < args.Length; i += 2)
{
    if (args[i] == "--hot") { hot = true; i--; continue; }
    if (args[i] == "--compare-residence") { compareResidence = true; i--; continue; }
    if (args[i] == "--ratio") { ratio = true; i--; continue; }
    if (args[i] == "--attention") { attention = true; i--; continue; }
    if (i + 1 >= args.Length) { Console.Error.WriteLine($"option {args[i]} needs a value"); return 2; }
    switch (args[i])
    {
        case "--only": only = args[i + 1]; break;
        case "--threads": threads = int.Parse(args[i + 1]); break;
        case "--prefill-tokens": prefillT = int.Parse(args[i + 1]); break;
        case "--seconds": seconds = double.Parse(args[i + 1]); break;
        case "--model": model = args[i + 1]; break;
        case "--steps": profileSteps = int.Parse(args[i + 1]); break;
        case "--rounds": rounds = int.Parse(args[i + 1]); break;
        case "--positions": positions = int.Parse(args[i + 1]); break;
        case "--weights": residence = WeightResidences.Parse(args[i + 1], "--weights"); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
var pool = WorkerPool.Shared;
pool.SetThreads(threads);
using var one = new WorkerPool(1);

Console.WriteLine($"threads {threads}, prefill T {prefillT}, {Environment.ProcessorCount} logical CPUs");
Console.WriteLine("Each figure twice: by wall clock / by CPU time (what dedicated cores would do; the machine is shared).");
unsafe
{
    // The machine's limits, measured the way `dss bench` measures them (DeepSeekSharp.Benchmarking.MachineProbe).
    static Rate R(DeepSeekSharp.Benchmarking.CpuRate r) => new(r.Wall, r.Cpu);
    Rate bw1 = R(DeepSeekSharp.Benchmarking.MachineProbe.ReadBandwidthRates(one));
    Rate bwN = R(DeepSeekSharp.Benchmarking.MachineProbe.ReadBandwidthRates(pool));
    Rate fma1 = R(DeepSeekSharp.Benchmarking.MachineProbe.FmaPeakRates(one));
    Rate fmaN = R(DeepSeekSharp.Benchmarking.MachineProbe.FmaPeakRates(pool));
    Console.WriteLine($"memory read bandwidth GB/s: 1 thread {bw1.Wall:F1} / {bw1.Cpu:F1}; {threads} threads {bwN.Wall:F1} / {bwN.Cpu:F1}");
    Console.WriteLine($"F32 FMA peak GFLOP/s:       1 thread {fma1.Wall:F0} / {fma1.Cpu:F0}; {threads} threads {fmaN.Wall:F0} / {fmaN.Cpu:F0}");
    Console.WriteLine();
    if (attention)
    {
        AttentionBench.Run(threads, positions, fmaN);
        return 0;
    }
    if (ratio)
    {
        RatioBench.Run(threads, rounds);
        return 0;
    }
    if (model != "" && compareResidence)
    {
        ResidenceCompare.Run(model, profileSteps, threads);
        return 0;
    }
    if (model != "")
    {
        DecodeProfile.Run(model, profileSteps, threads, bwN, residence);
        return 0;
    }

    (int Rows, int Cols)[] shapes = [(7168, 2048), (2048, 7168), (7168, 576), (1536, 24576)];
    DType[] dtypes = [DType.BF16, DType.F8_E4M3, DType.F32];
    Console.WriteLine($"shape (out x in) dtype   | decode T=1  GB/s wall/cpu, of bandwidth | prefill T={prefillT} GFLOP/s wall/cpu, of FMA peak");
    var decodeFr = new List<Rate>();
    var prefillFr = new List<Rate>();
    foreach (var dt in dtypes)
        foreach (var (rows, cols) in shapes)
        {
            using var ws = new WeightSet(dt, rows, cols, hot ? 0 : 768L << 20, rows + cols);
            var x1 = new float[cols];  // (1, cols)
            var y1 = new float[rows];  // (1, rows)
            for (int i = 0; i < cols; i++) x1[i] = (i % 7 - 3) * 0.1f;
            Rate gbs = only == "prefill" ? default : Rate.Of(ws.Views[0].ByteLength / 1e9, KernelBench.TimeProduct(ws, x1, y1, 1, threads, seconds));
            Rate gbsFr = gbs.Over(bwN);
            if (only == "decode")
            {
                if (dt != DType.F32) decodeFr.Add(gbsFr);
                Console.WriteLine($"{rows,6} x {cols,-6} {dt,-7} | {gbs.Wall,6:F1} / {gbs.Cpu,6:F1}   {gbsFr.Wall,5:P0} / {gbsFr.Cpu,5:P0}       |");
                continue;
            }

            var xT = new float[prefillT * cols]; // (T, cols)
            var yT = new float[prefillT * rows]; // (T, rows)
            for (int i = 0; i < xT.Length; i++) xT[i] = (i % 11 - 5) * 0.1f;
            Rate gf = Rate.Of(2.0 * prefillT * rows * cols / 1e9, KernelBench.TimeProduct(ws, xT, yT, prefillT, threads, seconds));
            Rate gfFr = gf.Over(fmaN);
            if (dt != DType.F32 && only != "prefill") decodeFr.Add(gbsFr);
            prefillFr.Add(gfFr);
            Console.WriteLine($"{rows,6} x {cols,-6} {dt,-7} | {gbs.Wall,6:F1} / {gbs.Cpu,6:F1}   {gbsFr.Wall,5:P0} / {gbsFr.Cpu,5:P0}       | {gf.Wall,5:F0} / {gf.Cpu,5:F0}   {gfFr.Wall,5:P0} / {gfFr.Cpu,5:P0}");
        }
    Console.WriteLine();
    if (decodeFr.Count > 0) Console.WriteLine($"decode GEMV (BF16+FP8): mean {decodeFr.Average(r => r.Wall):P0} / {decodeFr.Average(r => r.Cpu):P0} of the measured {threads}-thread bandwidth (target 80%)");
    if (prefillFr.Count > 0) Console.WriteLine($"prefill GEMM (all):     mean {prefillFr.Average(r => r.Wall):P0} / {prefillFr.Average(r => r.Cpu):P0} of the measured {threads}-thread FMA peak (target 60%)");
}
return 0;
