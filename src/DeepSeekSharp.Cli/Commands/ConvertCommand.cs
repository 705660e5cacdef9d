using System.CommandLine;
using System.Diagnostics;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Conversion;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss convert --model DIR --to gguf --type f32|f16|bf16|q8_0 --out FILE.gguf`: export for llama.cpp.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var to = new Option<string>("--to") { Description = "Target format (gguf)", Required = true };
        var type = new Option<string>("--type") { Description = "Tensor type of the weights: f32, f16, bf16 or q8_0", DefaultValueFactory = _ => "bf16" };
        var output = new Option<string>("--out", "-o") { Description = "Output file (written to a temporary file, then renamed)", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json to embed (default: the model folder's)" };
        var synthetic = new Option<bool>("--synthetic-tokenizer") { Description = "Embed a synthetic byte-level BPE vocabulary of the model's vocab_size (test models without a tokenizer)" };
        var name = new Option<string?>("--name") { Description = "general.name (default: the model folder's name)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the summary line" };
        var cmd = new Command("convert", "Convert a checkpoint to another format (GGUF for llama.cpp's deepseek2 architecture)");
        foreach (var o in new Option[] { model, to, type, output, tokenizer, synthetic, name, quiet }) cmd.Options.Add(o);
        cmd.SetGuardedAction(p =>
        {
            string format = p.GetValue(to)!.ToLowerInvariant();
            if (format != "gguf") throw new DssException($"--to '{format}' is not supported (gguf)");
            if (p.GetValue(tokenizer) is not null && p.GetValue(synthetic))
                throw new DssException("--tokenizer and --synthetic-tokenizer exclude each other");
            var options = new GgufExportOptions(GgmlTypes.Parse(p.GetValue(type)!))
            {
                TokenizerPath = p.GetValue(tokenizer),
                SyntheticTokenizer = p.GetValue(synthetic),
                Name = p.GetValue(name),
            };
            string outPath = p.GetValue(output)!;
            bool verbose = !p.GetValue(quiet);
            var sw = Stopwatch.StartNew();
            var tensors = Deepseek2GgufExporter.Export(p.GetValue(model)!, outPath, options, verbose ? Console.Out.WriteLine : null);
            long size = new FileInfo(outPath).Length;
            Console.Out.WriteLine($"wrote {outPath}: {tensors.Count} tensors, {size / 1e6:F1} MB, {GgmlTypes.Name(options.Type)}, in {sw.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return cmd;
    }
}
