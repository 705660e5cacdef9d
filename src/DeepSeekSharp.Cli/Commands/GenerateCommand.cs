using System.CommandLine;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss generate --model DIR (--prompt TEXT | --ids 1,2,3)`: streams a continuation to stdout, then a one-line summary on
/// stderr (prompt tokens, generated tokens, prefill and decode tok/s, MTP acceptance).
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model(required: false);
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text (encoded with the model's tokenizer, BOS added as its config says)" };
        var ids = new Option<string>("--ids") { Description = "Prompt as comma-separated token ids instead of text" };
        var printIds = new Option<bool>("--print-ids") { Description = "Print the generated token ids as one comma-separated line instead of text" };
        var chatFormat = new Option<bool>("--chat") { Description = "Wrap the prompt as one user message with the chat template" };
        var gen = new GenerationCliOptions();
        var cmd = new Command("generate", "Generate a continuation of a prompt, streaming it to stdout") { model, prompt, ids, printIds, chatFormat };
        foreach (var o in gen.All) cmd.Options.Add(o);
        cmd.SetGuardedAction(async (p, ct) =>
        {
            string dir = ModelOptions.ResolveModel(p.GetValue(model));
            string? text = p.GetValue(prompt), idText = p.GetValue(ids);
            if ((text is null) == (idText is null)) throw new DssException("give exactly one of --prompt TEXT or --ids 1,2,3");
            var options = gen.Sampling(p, defaultMaxTokens: 128);
            bool? spec = gen.SpeculativeMode(p, out bool both);

            using var m = Transformer.Load(dir);
            HfTokenizer? tok = ModelOptions.TryLoadTokenizer(dir);
            int[] promptIds;
            if (idText is not null) promptIds = ModelOptions.ParseIds(idText);
            else
            {
                if (tok is null) throw new DssException($"{dir} has no tokenizer.json: give --ids instead of --prompt");
                var tg = new TextGenerator(new Generator(m, 1, speculative: false), tok);
                promptIds = p.GetValue(chatFormat) ? tg.EncodeChat(new[] { new ChatMessage("user", text!) }) : tg.EncodePrompt(text!);
            }
            int? ctx = p.GetValue(gen.Ctx);
            var cache = gen.Cache(p);

            GenerationStats? plain = null;
            List<int>? plainIds = null;
            if (both)
            {
                plain = new GenerationStats();
                plainIds = new List<int>();
                await foreach (var t in new Generator(m, ctx, cache, speculative: false).GenerateAsync(promptIds, options, plain, ct)) plainIds.Add(t);
            }

            var g = new Generator(m, ctx, cache, spec);
            var stats = new GenerationStats();
            var outIds = new List<int>();
            if (p.GetValue(printIds) || tok is null)
            {
                await foreach (var t in g.GenerateAsync(promptIds, options, stats, ct)) outIds.Add(t);
                Console.Out.WriteLine(string.Join(",", outIds));
            }
            else
            {
                var tg = new TextGenerator(g, tok);
                await foreach (var piece in tg.GenerateAsync(promptIds, options, stats, ct))
                {
                    Console.Out.Write(piece);
                    Console.Out.Flush();
                }
                Console.Out.WriteLine();
            }
            Console.Error.WriteLine(Summary(stats, g));
            if (plain is not null)
            {
                Console.Error.WriteLine($"without speculation: decode {plain.DecodeTokensPerSecond:F1} tok/s; speed-up {Ratio(stats.DecodeTokensPerSecond, plain.DecodeTokensPerSecond)}");
                if (options.IsGreedy && outIds.Count > 0 && !plainIds!.SequenceEqual(outIds))
                    throw new DssException("greedy output with speculation differs from plain decoding");
            }
            return 0;
        });
        return cmd;
    }

    internal static string Summary(GenerationStats s, Generator g)
    {
        string line = $"prompt {s.PromptTokens} tokens, generated {s.GeneratedTokens} ({s.FinishReason?.ToOpenAi() ?? "?"}), " +
                      $"prefill {s.PrefillTokensPerSecond:F1} tok/s, decode {s.DecodeTokensPerSecond:F1} tok/s";
        if (g.Speculative)
            line += $", MTP speculation: {s.AcceptedDrafts}/{s.DraftedTokens} drafts accepted ({s.AcceptanceRate:P1}), {s.TokensPerStep:F2} tokens per main step";
        return line;
    }

    private static string Ratio(double a, double b) => b > 0 ? $"{a / b:F2}x" : "n/a";
}
