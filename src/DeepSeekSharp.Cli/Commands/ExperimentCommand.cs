using System.CommandLine;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;
using DeepSeekSharp.Training;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss experiment fp8-vs-bf16 --config CONFIG --tokenizer DIR --data PATH... --steps N [--seeds 3] [--out DIR]`:
/// trains the same model on the same data from the same seed in BF16 and in FP8 (DeepSeek-V3's recipe), for each
/// of several seeds, evaluates both on the same validation windows, and writes report.md, report.json and
/// loss.svg into --out.
/// </summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var group = new Command("experiment", "Experiments that check claims of the DeepSeek-V3 paper on our own models");
        group.Subcommands.Add(CreateFp8VsBf16());
        return group;
    }

    private static Command CreateFp8VsBf16()
    {
        var config = new Option<string>("--config") { Description = "Model config.json (or a folder holding one)", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder with tokenizer.json and tokenizer_config.json", Required = true };
        var data = new Option<string[]>("--data") { Description = "Text or JSONL files, or folders of them (as for dss train)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "Report folder (report.md, report.json, loss.svg)", DefaultValueFactory = _ => "fp8-vs-bf16" };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps per run", Required = true };
        var seeds = new Option<int>("--seeds") { Description = "Seeds (each trains one BF16 and one FP8 run)", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "First seed; the others follow it", DefaultValueFactory = _ => 1UL };
        var batch = new Option<int>("--batch") { Description = "Sequences per step", DefaultValueFactory = _ => 8 };
        var seq = new Option<int>("--seq") { Description = "Predicted tokens per sequence", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 1e-3 };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up steps (default min(100, steps/10))", DefaultValueFactory = _ => -1 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Validation every N steps (default steps/10)", DefaultValueFactory = _ => 0 };
        var evalSeqs = new Option<int>("--eval-seqs") { Description = "Validation windows per evaluation (the same ones for every run)", DefaultValueFactory = _ => 32 };
        var noMtp = new Option<bool>("--no-mtp") { Description = "Train without the MTP module" };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix products (default: all cores)", DefaultValueFactory = _ => 0 };
        var fp8Scales = PrecisionOptions.Fp8Scales();
        var mtpLambda = new Option<double>("--mtp-lambda") { Description = "Weight of the MTP loss", DefaultValueFactory = _ => 0.3 };
        var alpha = new Option<double>("--balance-alpha") { Description = "Sequence-wise balance loss weight", DefaultValueFactory = _ => 1e-4 };
        var gamma = new Option<double>("--bias-gamma") { Description = "Correction-bias update speed", DefaultValueFactory = _ => 0.001 };
        var checkpoints = new Option<bool>("--checkpoints") { Description = "Also write every run's model (BF16, Hugging Face layout) to OUT/checkpoints/seedS-PRECISION" };

        var cmd = new Command("fp8-vs-bf16", "Train in BF16 and FP8 from the same seeds and report the validation-loss gap (DeepSeek-V3 claims < 0.25%)");
        foreach (var o in new Option[] { config, tokenizer, data, output, steps, seeds, seed, batch, seq, lr, warmup, evalEvery, evalSeqs, noMtp, threads, fp8Scales, mtpLambda, alpha, gamma, checkpoints })
            cmd.Options.Add(o);
        cmd.SetGuardedAction(p =>
        {
            int n = p.GetValue(steps);
            if (n < 1 || p.GetValue(seeds) < 1) throw new DssException("--steps and --seeds must be positive");
            if (p.GetValue(threads) > 0) Gemm.Threads = p.GetValue(threads);
            var o = new TrainOptions
            {
                Steps = n, Batch = p.GetValue(batch), Seq = p.GetValue(seq), Lr = p.GetValue(lr), Warmup = p.GetValue(warmup),
                EvalEvery = p.GetValue(evalEvery) > 0 ? p.GetValue(evalEvery) : Math.Max(1, n / 10),
                EvalSequences = p.GetValue(evalSeqs), Fp8Scales = TrainPrecisionNames.ParseScales(p.GetValue(fp8Scales)!),
                MtpLambda = p.GetValue(mtpLambda), BalanceAlpha = p.GetValue(alpha), BiasGamma = p.GetValue(gamma),
            };
            string configPath = Directory.Exists(p.GetValue(config)!) ? Path.Combine(p.GetValue(config)!, "config.json") : p.GetValue(config)!;
            if (!File.Exists(configPath)) throw new DssException($"{configPath}: config not found");
            string configJson = File.ReadAllText(configPath);
            var modelConfig = ModelConfig.Parse(configJson, configPath);
            var tok = HfTokenizer.Load(p.GetValue(tokenizer)!);
            var docs = TextCorpus.ReadDocuments(p.GetValue(data)!);
            var first = TokenData.Build(docs, t => tok.Encode(t), tok.EosTokenId ?? modelConfig.EosTokenId, o.Seq, p.GetValue(seed));
            string dir = p.GetValue(output)!;
            if (first.ValidationWindows < 1) throw new DssException($"the data has too little validation text ({first.Validation.Length} tokens) for one window of {o.Seq + 1}");
            var setup = new ExperimentSetup(modelConfig, ParameterInit.InitializerRange(configPath), !p.GetValue(noMtp), o,
                Enumerable.Range(0, p.GetValue(seeds)).Select(i => p.GetValue(seed) + (ulong)i).ToArray(),
                "dss " + string.Join(" ", p.Tokens.Select(t => Quote(t.Value))),
                p.GetValue(checkpoints) ? new ExperimentCheckpoints(Path.Combine(dir, "checkpoints"), configJson, p.GetValue(tokenizer)!) : null);
            Console.Error.WriteLine($"data: {docs.Count:N0} documents, {first.Train.Length:N0} training and {first.Validation.Length:N0} validation tokens");
            var result = ExperimentRunner.Run(setup, first, Console.Error);
            ExperimentReport.Write(dir, result);
            var s = result.Summary;
            Console.Out.WriteLine($"BF16 {s.Bf16Mean:F4}, FP8 {s.Fp8Mean:F4}: gap {s.GapMean * 100:+0.000;-0.000}% (seed std {s.GapStd * 100:F3}%); report in {Path.Combine(dir, ExperimentReport.MarkdownFile)}");
            return 0;
        });
        return cmd;
    }

    private static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:,+".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
