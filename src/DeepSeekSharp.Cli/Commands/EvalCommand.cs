using System.CommandLine;
using DeepSeekSharp.Evaluation;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss eval --model DIR --data PATH...`: validation loss and perplexity on the held-out split `dss train` uses
/// (every 20th document), against a unigram baseline, plus the MTP head's agreement with the main model and the
/// expert load of every MoE layer.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model(required: false);
        var data = new Option<string[]>("--data") { Description = "The training data (files or folders), split as dss train splits it", Required = true, AllowMultipleArgumentsPerToken = true };
        var seq = new Option<int>("--seq") { Description = "Tokens per evaluation window", DefaultValueFactory = _ => 256 };
        var maxWindows = new Option<int>("--max-windows") { Description = "Evaluate at most this many windows (0 = all)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("eval", "Validation loss, perplexity, unigram baseline and MTP agreement on the held-out split") { model, data, seq, maxWindows };
        cmd.SetGuardedAction(p =>
        {
            string dir = ModelOptions.ResolveModel(p.GetValue(model));
            using var m = Transformer.Load(dir);
            var tok = ModelOptions.TryLoadTokenizer(dir) ?? throw new DssException($"{dir} has no tokenizer.json");
            var docs = TextCorpus.ReadDocuments(p.GetValue(data)!);
            int s = p.GetValue(seq);
            var split = TokenData.Build(docs, t => tok.Encode(t), tok.EosTokenId ?? m.Config.EosTokenId, s, 0);
            int limit = p.GetValue(maxWindows) is > 0 and var n ? n : int.MaxValue;
            int total = Math.Min(limit, split.ValidationWindows);
            var progress = new Progress<int>(w => { if (w % 10 == 0 || w == total) Console.Error.Write($"\reval: window {w}/{total}"); });
            var r = ValidationEvaluator.Evaluate(m, split.Train, split.Validation, s, limit, progress);
            Console.Error.WriteLine();
            Console.WriteLine($"validation: {r.Windows} windows of {s}, {r.Targets:N0} targets (every {TokenData.ValidationEvery}th document held out)");
            Console.WriteLine($"loss        {r.Loss:F4} nats/token, perplexity {r.Perplexity:F2}, top-1 accuracy {r.MainAccuracy:P1}");
            Console.WriteLine($"unigram     {r.UnigramLoss:F4} nats/token, perplexity {r.UnigramPerplexity:F2} (training-split counts, add-one)");
            if (r.MtpPairs > 0)
                Console.WriteLine($"MTP head    top-1 equals the main model's top-1 for the token after next: {r.MtpAgreement:P1}; equals the true token: {r.MtpAccuracy:P1} ({r.MtpPairs:N0} pairs)");
            if (r.ExpertLoad.Length > 0)
                Console.WriteLine("expert load max/mean per MoE layer: " + string.Join(", ", r.ExpertLoad.Select(e =>
                    $"layer {e.Layer} {e.MaxOverMean:F2}{(e.UnusedExperts > 0 ? $" ({e.UnusedExperts} experts unused)" : "")}")) + " (1.00 = even)");
            return 0;
        });
        return cmd;
    }
}
