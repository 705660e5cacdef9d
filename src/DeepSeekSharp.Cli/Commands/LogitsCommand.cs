using System.CommandLine;
using System.Runtime.InteropServices;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss logits --model DIR --ids 12,7,99 [--output FILE]`: full-sequence forward pass to a safetensors file.</summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var ids = new Option<string>("--ids") { Description = "Comma-separated token ids, e.g. 12,7,99", Required = true };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to write the safetensors file with tensor 'logits' F32 [T, vocab]",
            DefaultValueFactory = _ => "logits.safetensors",
        };
        var cmd = new Command("logits", "Run the forward pass over token ids, write the logits and print the top-5 next tokens") { model, ids, output };
        cmd.SetGuardedAction(p =>
        {
            var tokens = ModelOptions.ParseIds(p.GetValue(ids)!);
            using var m = Transformer.Load(p.GetValue(model)!);
            if (tokens.Length > m.Config.MaxPositionEmbeddings)
                throw new DssException($"{tokens.Length} tokens exceed the model's context of {m.Config.MaxPositionEmbeddings}");
            var logits = m.Forward(tokens, 0, m.NewCache(tokens.Length, CacheDType.F32));
            int V = m.Config.VocabSize;
            string path = p.GetValue(output)!;
            SafetensorsWriter.Write(path, new[]
            {
                ("logits", DType.F32, new long[] { tokens.Length, V }, (ReadOnlyMemory<byte>)MemoryMarshal.AsBytes(logits.AsSpan()).ToArray()),
            });
            Console.WriteLine($"wrote {path}: logits F32 [{tokens.Length}, {V}]");
            var last = logits.AsSpan((tokens.Length - 1) * V, V);
            Span<int> top = stackalloc int[Math.Min(5, V)];
            Gate.TopKIndices(last, top);
            var names = TokenNames.TryLoad(p.GetValue(model)!);
            Console.WriteLine("top-5 next tokens after the last position:");
            foreach (var t in top)
                Console.WriteLine($"  {t,8}  {last[t],12:F6}{(names is null ? "" : "  " + names(t))}");
            return 0;
        });
        return cmd;
    }
}
