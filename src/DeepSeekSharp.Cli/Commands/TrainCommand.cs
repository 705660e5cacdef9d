using System.CommandLine;
using System.Runtime.InteropServices;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;
using DeepSeekSharp.Training;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss train --config CONFIG.json --tokenizer DIR --data PATH... --out DIR [--steps N] [--batch B] [--seq T] [--lr LR] [--resume]`:
/// trains a DeepSeek-V3-architecture model in F32 on text (plain or JSONL), with MTP, balancing and AdamW. The run
/// folder gets metrics.jsonl, loss.svg, train_state.safetensors (for --resume) and checkpoint/ (a Hugging Face model
/// folder for `dss generate`). Ctrl+C saves a checkpoint before exiting.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Model config.json (or a folder holding one) describing the architecture", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder with tokenizer.json and tokenizer_config.json", Required = true };
        var data = new Option<string[]>("--data") { Description = "Text files (.txt: documents separated by blank lines, or one per line) or .jsonl files with a \"text\" field, or folders of them", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "Run folder (metrics, chart, training state, checkpoint/)", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps", DefaultValueFactory = _ => 200 };
        var batch = new Option<int>("--batch") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => 8 };
        var seq = new Option<int>("--seq") { Description = "Predicted tokens per sequence", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (linear warm-up, then cosine decay to 0.1x)", DefaultValueFactory = _ => 1e-3 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its training state, exactly" };
        var accum = new Option<int>("--accum") { Description = "Micro-batches per optimiser step (gradient accumulation)", DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up steps (default min(100, steps/10))", DefaultValueFactory = _ => -1 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initialisation and the data order", DefaultValueFactory = _ => 1UL };
        var evalEvery = new Option<int>("--eval-every") { Description = "Validation every N steps", DefaultValueFactory = _ => 50 };
        var evalSeqs = new Option<int>("--eval-seqs") { Description = "Validation sequences per evaluation", DefaultValueFactory = _ => 16 };
        var saveEvery = new Option<int>("--save-every") { Description = "Checkpoint every N steps (0: at the end and on Ctrl+C)", DefaultValueFactory = _ => 0 };
        var init = new Option<string?>("--init") { Description = "Start from the weights of this model folder instead of a random initialisation" };
        var noMtp = new Option<bool>("--no-mtp") { Description = "Train without the MTP module even when the config names one" };
        var mtpLambda = new Option<double>("--mtp-lambda") { Description = "Weight of the MTP loss", DefaultValueFactory = _ => 0.3 };
        var alpha = new Option<double>("--balance-alpha") { Description = "Sequence-wise balance loss weight", DefaultValueFactory = _ => 1e-4 };
        var gamma = new Option<double>("--bias-gamma") { Description = "Correction-bias update speed", DefaultValueFactory = _ => 0.001 };
        var dtype = new Option<string>("--dtype") { Description = "Checkpoint weight dtype: bf16 or f32", DefaultValueFactory = _ => "bf16" };
        dtype.AcceptOnlyFromAmong("bf16", "f32");
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix products (default: all cores)", DefaultValueFactory = _ => 0 };

        var precision = PrecisionOptions.Precision();
        var fp8Scales = PrecisionOptions.Fp8Scales();
        var cmd = new Command("train", "Train a DeepSeek-V3-architecture model on text (F32, MTP, auxiliary-loss-free balancing, AdamW)");
        foreach (var o in new Option[] { config, tokenizer, data, output, steps, batch, seq, lr, resume, accum, warmup, seed, evalEvery, evalSeqs, saveEvery, init, noMtp, mtpLambda, alpha, gamma, dtype, threads, precision, fp8Scales })
            cmd.Options.Add(o);
        cmd.SetGuardedAction(p =>
        {
            var o = new TrainOptions
            {
                Steps = p.GetValue(steps), Batch = p.GetValue(batch), Seq = p.GetValue(seq), Lr = p.GetValue(lr),
                Accumulation = p.GetValue(accum), Warmup = p.GetValue(warmup), Seed = p.GetValue(seed),
                EvalEvery = p.GetValue(evalEvery), EvalSequences = p.GetValue(evalSeqs), SaveEvery = p.GetValue(saveEvery),
                MtpLambda = p.GetValue(mtpLambda), BalanceAlpha = p.GetValue(alpha), BiasGamma = p.GetValue(gamma),
                Precision = TrainPrecisionNames.Parse(p.GetValue(precision)!), Fp8Scales = TrainPrecisionNames.ParseScales(p.GetValue(fp8Scales)!),
            };
            if (p.GetValue(threads) > 0) Gemm.Threads = p.GetValue(threads);
            var run = new TrainRunSettings(p.GetValue(config)!, p.GetValue(tokenizer)!, p.GetValue(data)!, p.GetValue(output)!,
                p.GetValue(resume), p.GetValue(init), !p.GetValue(noMtp), p.GetValue(dtype) == "bf16");
            return TrainRun.Execute(run, o);
        });
        return cmd;
    }
}

internal sealed record TrainRunSettings(string Config, string Tokenizer, string[] Data, string Out, bool Resume, string? Init, bool Mtp, bool Bf16);

/// <summary>The body of `dss train`: data, model, loop with progress, metrics and checkpoints, Ctrl+C handling.</summary>
internal static class TrainRun
{
    public static int Execute(TrainRunSettings s, TrainOptions o)
    {
        string configPath = Directory.Exists(s.Config) ? Path.Combine(s.Config, "config.json") : s.Config;
        if (!File.Exists(configPath)) throw new DssException($"{configPath}: config not found");
        string configJson = File.ReadAllText(configPath);
        var config = ModelConfig.Parse(configJson, configPath);
        string statePath = Path.Combine(s.Out, TrainState.FileName);
        if (!s.Resume && File.Exists(statePath))
            throw new DssException($"{s.Out} already holds a run ({TrainState.FileName}): pass --resume to continue it or choose another --out");
        if (s.Resume && !File.Exists(statePath)) throw new DssException($"--resume: {statePath} not found");
        Directory.CreateDirectory(s.Out);

        var err = Console.Error;
        var tok = HfTokenizer.Load(s.Tokenizer);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var docs = TextCorpus.ReadDocuments(s.Data);
        var data = TokenData.Build(docs, t => tok.Encode(t), tok.EosTokenId ?? config.EosTokenId, o.Seq, o.Seed);
        err.WriteLine($"data: {docs.Count:N0} documents, {data.Train.Length:N0} training tokens ({data.TrainWindows:N0} windows of {o.Seq + 1}), {data.Validation.Length:N0} validation tokens; tokenised in {sw.Elapsed.TotalSeconds:F1} s");

        var parameters = s.Init is not null
            ? ParameterInit.LoadCheckpoint(s.Init, s.Mtp)
            : ParameterInit.Random(config, s.Mtp, o.Seed, ParameterInit.InitializerRange(configPath));
        if (s.Init is not null && ModelConfig.Load(s.Init) != config)
            err.WriteLine($"note: --init {s.Init} has its own config.json; the architecture of --config is ignored for the weights");
        var trainer = new Trainer(parameters, data, o);
        if (s.Resume)
        {
            TrainState.Load(statePath, trainer);
            err.WriteLine($"resumed at step {trainer.Step} (data position {trainer.Sample})");
        }
        err.WriteLine($"model: {parameters.Count:N0} parameters (F32 master weights, {o.Precision.Name()} GEMMs){(parameters.HasMtp ? ", with MTP" : "")}; {o.Steps} steps of {o.Batch}x{o.Accumulation} sequences of {o.Seq}, lr {o.Lr}, warm-up {o.WarmupSteps}; {Gemm.Threads} thread(s)");
        File.WriteAllText(Path.Combine(s.Out, "config.json"), configJson);

        var log = new RunLog(s.Out, trainer.Step);
        using var stop = new CancellationTokenSource();
        // The action runs synchronously, so these are the only SIGINT/SIGTERM handlers: the first signal stops the
        // loop after the current step and saves; a second one terminates at once.
        using var sigInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = !stop.IsCancellationRequested; stop.Cancel(); });
        using var sigTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = !stop.IsCancellationRequested; stop.Cancel(); });

        var progress = new TrainProgress(err, o.Steps, trainer.Step);
        double? lastVal = null, firstVal = null;
        while (!trainer.Done && !stop.IsCancellationRequested)
        {
            var m = trainer.TrainStep();
            log.Record(m);
            if (m.ValLoss is double v) { lastVal = v; firstVal ??= v; }
            progress.Report(m, lastVal);
            if (m.ValLoss is not null || m.Step % 10 == 0) log.Flush();
            if (o.SaveEvery > 0 && m.Step % o.SaveEvery == 0 && !trainer.Done) Save(s, trainer, configJson, statePath, err);
        }
        progress.Finish();
        if (stop.IsCancellationRequested) err.WriteLine($"interrupted at step {trainer.Step}: saving a checkpoint before exiting");
        log.Flush();
        Save(s, trainer, configJson, statePath, err);
        if (stop.IsCancellationRequested) return 130;
        Console.Out.WriteLine($"done: {trainer.Step} steps; validation loss {Fmt(log.ValLoss.FirstOrDefault().Loss)} -> {Fmt(log.ValLoss.LastOrDefault().Loss)}; {progress.MeanTokensPerSecond:F0} tokens/s; model in {Path.Combine(s.Out, "checkpoint")}");
        return 0;
    }

    private static string Fmt(double v) => v == 0 ? "n/a" : v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);

    private static void Save(TrainRunSettings s, Trainer trainer, string configJson, string statePath, TextWriter err)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        TrainState.Save(statePath, trainer);
        HfExport.Write(Path.Combine(s.Out, "checkpoint"), trainer.Params, configJson, s.Tokenizer, s.Bf16);
        err.WriteLine($"saved step {trainer.Step}: {statePath} and {Path.Combine(s.Out, "checkpoint")} ({sw.Elapsed.TotalSeconds:F1} s)");
    }
}
