using System.Text.Json.Nodes;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Cli.Commands;

namespace DeepSeekSharp.Tests;

/// <summary>`dss grad --precision`, `dss train --precision fp8` and `dss experiment fp8-vs-bf16` end to end.</summary>
public class Fp8TrainingCliTests
{
    [Fact]
    public void GradPrecisionFp8DiffersSlightlyFromFp32()
    {
        using var tmp = new Fixtures.TempDir();
        string dir = Fixtures.Dir("v3-tiny");
        float Loss(string precision)
        {
            string f = tmp.File(precision + ".safetensors");
            Assert.Equal(0, Cli.Program.BuildRoot().Parse(new[] { "grad", "--model", dir, "--ids", "5,9,300,2,17,40", "--precision", precision, "-o", f }).Invoke());
            using var s = SafetensorsFile.Open(f);
            return s.ReadF32("loss")[0];
        }
        float f32 = Loss("fp32"), fp8 = Loss("fp8");
        Assert.NotEqual(f32, fp8);
        Assert.True(Math.Abs(fp8 - f32) / f32 < 0.01, $"{fp8} vs {f32}");
        Assert.NotEqual(0, Cli.Program.BuildRoot().Parse(new[] { "grad", "--model", dir, "--ids", "5,9", "--precision", "fp4" }).Invoke());
    }

    /// <summary>A tiny config, a small text and a 300-token tokenizer trained on it: (config path, data path, tokenizer dir).</summary>
    private static (string Config, string Data, string Tokenizer) SmallSetup(Fixtures.TempDir tmp)
    {
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir("v3-tiny"), "config.json")))!.AsObject();
        cfg["vocab_size"] = 300;
        cfg["hidden_size"] = 16;
        cfg["num_hidden_layers"] = 2;
        cfg["bos_token_id"] = 0;
        cfg["eos_token_id"] = 1;
        File.WriteAllText(tmp.File("config.json"), cfg.ToJsonString());
        File.WriteAllText(tmp.File("data.txt"), string.Join("\n\n", Enumerable.Range(0, 60).Select(i => $"Document {i}: the quick brown fox jumps over the lazy dog {i % 7} times.")));
        // A small tokenizer keeps the model (and the test) small.
        string tok = tmp.File("tok");
        Assert.Equal(0, Cli.Program.BuildRoot().Parse(new[] { "tokenizer", "train", "--data", tmp.File("data.txt"), "--vocab-size", "300", "--out", tok }).Invoke());
        return (tmp.File("config.json"), tmp.File("data.txt"), tok);
    }

    [Fact]
    public void TrainFp8RunsAndResumesOnlyWithTheSamePrecision()
    {
        using var tmp = new Fixtures.TempDir();
        var (config, data, tok) = SmallSetup(tmp);
        string run = tmp.File("run");
        string[] Args(int steps, string precision, bool resume) => new[]
        {
            "train", "--config", config, "--tokenizer", tok, "--data", data, "--out", run, "--steps", steps.ToString(),
            "--batch", "1", "--seq", "8", "--eval-every", "1", "--eval-seqs", "1", "--precision", precision,
        }.Concat(resume ? new[] { "--resume" } : Array.Empty<string>()).ToArray();
        Assert.Equal(0, Cli.Program.BuildRoot().Parse(Args(1, "fp8", false)).Invoke());
        Assert.Equal(CommandRunner.UserError, Cli.Program.BuildRoot().Parse(Args(2, "bf16", true)).Invoke());
        Assert.Equal(0, Cli.Program.BuildRoot().Parse(Args(2, "fp8", true)).Invoke());
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, Training.RunLog.MetricsFile)).Length);
    }

    [Fact]
    public void ExperimentWritesReportJsonAndChart()
    {
        using var tmp = new Fixtures.TempDir();
        var (config, data, tok) = SmallSetup(tmp);
        string outDir = tmp.File("report");
        int rc = Cli.Program.BuildRoot().Parse(new[]
        {
            "experiment", "fp8-vs-bf16", "--config", config, "--tokenizer", tok, "--data", data,
            "--steps", "3", "--seeds", "2", "--batch", "1", "--seq", "8", "--eval-every", "1", "--eval-seqs", "2", "--out", outDir,
        }).Invoke();
        Assert.Equal(0, rc);
        var md = File.ReadAllText(Path.Combine(outDir, ExperimentReport.MarkdownFile));
        Assert.Contains("dss experiment fp8-vs-bf16 --config", md);
        Assert.Contains("| mean |", md);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, ExperimentReport.JsonFile)))!;
        Assert.Equal(4, json["runs"]!.AsArray().Count);
        double V(int i) => json["runs"]![i]!["final_val_loss"]!.GetValue<double>();
        double bf = V(0), fp = V(1);
        Assert.Equal(((V(1) - V(0)) / V(0) + (V(3) - V(2)) / V(2)) / 2, json["summary"]!["relative_gap_mean"]!.GetValue<double>(), 12);
        Assert.True(double.IsFinite(json["summary"]!["relative_gap_std"]!.GetValue<double>()));
        Assert.NotEqual(bf, fp); // the precisions really differ
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(outDir, ExperimentReport.ChartFile)));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(outDir, ExperimentReport.ChartFile)), "stroke-width=\"1.5\"").Count);
    }
    [Fact]
    public void ExperimentCheckpointsEqualThoseOfDssTrainWithTheSameFlags()
    {
        using var tmp = new Fixtures.TempDir();
        var (config, data, tok) = SmallSetup(tmp);
        string[] common = { "--config", config, "--tokenizer", tok, "--data", data, "--steps", "3", "--batch", "1", "--seq", "8",
            "--eval-every", "1", "--eval-seqs", "1", "--bias-gamma", "0.01", "--balance-alpha", "0.01", "--mtp-lambda", "0.2" };
        string outDir = tmp.File("report");
        Assert.Equal(0, Cli.Program.BuildRoot().Parse(new[] { "experiment", "fp8-vs-bf16", "--seeds", "1", "--seed", "2", "--checkpoints", "--out", outDir }.Concat(common).ToArray()).Invoke());
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, ExperimentReport.JsonFile)))!;
        Assert.Equal(0.01, json["bias_gamma"]!.GetValue<double>());
        string run = tmp.File("run");
        Assert.Equal(0, Cli.Program.BuildRoot().Parse(new[] { "train", "--precision", "fp8", "--seed", "2", "--out", run }.Concat(common).ToArray()).Invoke());
        static byte[] Weights(string dir) => File.ReadAllBytes(Directory.GetFiles(dir, "*.safetensors").Single());
        var fromTrain = Weights(Path.Combine(run, "checkpoint"));
        Assert.Equal(fromTrain, Weights(Path.Combine(outDir, "checkpoints", "seed2-fp8")));
        Assert.NotEqual(fromTrain, Weights(Path.Combine(outDir, "checkpoints", "seed2-bf16")));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoints", "seed2-fp8", "tokenizer.json")));
    }
}
