using System.CommandLine;
using DeepSeekSharp.Training;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss grad --model DIR --ids 1,2,3 [--ids 4,5,6 ...] [--output FILE]`: the mean next-token cross-entropy over all
/// given sequences together and its gradient for every main-model weight, written as safetensors
/// (`loss` [1], `grad.&lt;weight name&gt;` F32) for checking against other frameworks.
/// </summary>
internal static class GradCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var ids = new Option<string[]>("--ids")
        {
            Description = "Comma-separated token ids of one sequence; repeat for more sequences (the loss is the mean over all their targets)",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--output", "-o") { Description = "Output safetensors file", DefaultValueFactory = _ => "grad.safetensors" };
        var precision = PrecisionOptions.Precision();
        var cmd = new Command("grad", "Compute the mean next-token cross-entropy of token sequences and its gradient for every weight");
        cmd.Options.Add(model);
        cmd.Options.Add(ids);
        cmd.Options.Add(output);
        cmd.Options.Add(precision);
        cmd.SetGuardedAction(p =>
        {
            var seqs = p.GetValue(ids)!.Select(ModelOptions.ParseIds).ToArray();
            var parameters = ParameterInit.LoadCheckpoint(p.GetValue(model)!, includeMtp: false);
            var m = new TrainModel(parameters, TrainPrecisionNames.Parse(p.GetValue(precision)!));
            double loss = GradComputation.Compute(m, seqs);
            string path = p.GetValue(output)!;
            GradComputation.Write(path, loss, parameters);
            int targets = seqs.Sum(s => s.Length - 1);
            Console.Out.WriteLine($"loss {loss:F7} over {targets} targets in {seqs.Length} sequence(s); gradients of {parameters.Tensors.Count(t => t.Trainable)} tensors written to {path}");
            return 0;
        });
        return cmd;
    }
}
