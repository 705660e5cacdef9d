using System.Text.Json.Nodes;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Cli.Commands;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training;

namespace DeepSeekSharp.Tests;

/// <summary>`dss grad` and `dss train` end to end: files written, resume continues the record.</summary>
public class TrainingCliTests
{
    [Fact]
    public void GradCommandWritesLossAndGradients()
    {
        using var tmp = new Fixtures.TempDir();
        string dir = Fixtures.Dir("v2-lite-tiny");
        string outFile = tmp.File("g.safetensors");
        int rc = Cli.Program.BuildRoot().Parse(new[] { "grad", "--model", dir, "--ids", "5,9,300,2", "--ids", "7,7,8", "-o", outFile }).Invoke();
        Assert.Equal(0, rc);
        using var f = SafetensorsFile.Open(outFile);
        var p = ParameterInit.LoadCheckpoint(dir, includeMtp: false);
        double loss = GradComputation.Compute(new TrainModel(p), new[] { new[] { 5, 9, 300, 2 }, new[] { 7, 7, 8 } });
        Assert.Equal((float)loss, f.ReadF32("loss")[0]);
        Assert.Equal(p.Gradient(HfNames.Wq(1)).ToArray(), f.ReadF32("grad." + HfNames.Wq(1)));
        Assert.Equal(1 + p.Tensors.Count(t => t.Trainable), f.Tensors.Count);
    }

    [Fact]
    public void GradCommandRejectsBadIds()
    {
        int rc = Cli.Program.BuildRoot().Parse(new[] { "grad", "--model", Fixtures.Dir("v2-lite-tiny"), "--ids", "5,x" }).Invoke();
        Assert.Equal(CommandRunner.UserError, rc);
    }

    [Fact]
    public void TrainCommandWritesRunFolderAndResumes()
    {
        using var tmp = new Fixtures.TempDir();
        // A small architecture with the tokenizer's vocabulary.
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir("v3-tiny"), "config.json")))!.AsObject();
        cfg["vocab_size"] = 129280;
        cfg["hidden_size"] = 16;
        cfg["num_hidden_layers"] = 2;
        File.WriteAllText(tmp.File("config.json"), cfg.ToJsonString());
        var text = string.Join("\n\n", Enumerable.Range(0, 40).Select(i => $"Document {i}: the quick brown fox jumps over the lazy dog {i % 7} times."));
        File.WriteAllText(tmp.File("data.txt"), text);
        string tok = Path.Combine(Fixtures.Shared, "tokenizers", "deepseek-v3");
        string run = tmp.File("run");
        string[] Args(int steps, bool resume) => new[]
        {
            "train", "--config", tmp.File("config.json"), "--tokenizer", tok, "--data", tmp.File("data.txt"), "--out", run,
            "--steps", steps.ToString(), "--batch", "1", "--seq", "8", "--eval-every", "2", "--eval-seqs", "1", "--dtype", "f32",
        }.Concat(resume ? new[] { "--resume" } : Array.Empty<string>()).ToArray();

        Assert.Equal(0, Cli.Program.BuildRoot().Parse(Args(2, false)).Invoke());
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, RunLog.MetricsFile)).Length);
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(run, RunLog.ChartFile)));
        Assert.True(File.Exists(Path.Combine(run, TrainState.FileName)));
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(run, "checkpoint", f)), f);
        using (var t = Transformer.Load(Path.Combine(run, "checkpoint"))) Assert.Single(t.Mtp);

        // a second start without --resume is refused; with it the run continues to step 3
        Assert.Equal(CommandRunner.UserError, Cli.Program.BuildRoot().Parse(Args(3, false)).Invoke());
        Assert.Equal(0, Cli.Program.BuildRoot().Parse(Args(3, true)).Invoke());
        var lines = File.ReadAllLines(Path.Combine(run, RunLog.MetricsFile));
        Assert.Equal(3, lines.Length);
        Assert.Equal(3, JsonNode.Parse(lines[2])!["step"]!.GetValue<int>());
    }
}
