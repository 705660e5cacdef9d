using System.CommandLine;
using System.Text;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// `dss chat --model DIR`: an interactive chat with the model's chat template and history, streaming replies.
/// Ctrl+C stops the current reply (not the program); /reset clears the history; /exit (or end of input) quits.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model(required: false);
        var system = new Option<string>("--system") { Description = "A system prompt placed before the conversation" };
        var gen = new GenerationCliOptions();
        var cmd = new Command("chat", "Chat with a model interactively (Ctrl+C stops a reply, /reset, /exit)") { model, system };
        foreach (var o in gen.All) cmd.Options.Add(o);
        cmd.SetGuardedAction(async (p, ct) =>
        {
            string dir = ModelOptions.ResolveModel(p.GetValue(model));
            var options = gen.Sampling(p, defaultMaxTokens: null);
            using var m = Transformer.Load(dir);
            var tok = ModelOptions.TryLoadTokenizer(dir) ?? throw new DssException($"{dir} has no tokenizer.json: chat needs a tokenizer");
            if (tok.ChatTemplate is null) throw new DssException($"{dir}: tokenizer_config.json has no chat_template");
            var g = new Generator(m, p.GetValue(gen.Ctx), gen.Cache(p), gen.SpeculativeMode(p, out _));
            var tg = new TextGenerator(g, tok);
            await RunAsync(tg, options, p.GetValue(system), Console.In, Console.Out, Console.Error, ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>The chat loop over any reader/writer (tests drive it through stdin redirection).</summary>
    internal static async Task RunAsync(TextGenerator tg, SamplingOptions options, string? systemPrompt, TextReader input, TextWriter output, TextWriter status, CancellationToken ct)
    {
        var history = new List<ChatMessage>();
        if (systemPrompt is not null) history.Add(new ChatMessage("system", systemPrompt));
        CancellationTokenSource? reply = null;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            var r = reply;
            if (r is null) return; // no reply running: let Ctrl+C end the program
            e.Cancel = true;
            r.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            status.WriteLine("chat: type a message; /reset clears the history, /exit quits, Ctrl+C stops a reply");
            while (!ct.IsCancellationRequested)
            {
                output.Write("> ");
                output.Flush();
                string? line = await input.ReadLineAsync(ct);
                if (line is null || line.Trim() == "/exit") break;
                if (line.Trim() == "/reset")
                {
                    history.RemoveAll(mm => mm.Role != "system");
                    tg.Generator.Reset();
                    status.WriteLine("(history cleared)");
                    continue;
                }
                if (line.Trim().Length == 0) continue;
                history.Add(new ChatMessage("user", line));
                var prompt = tg.EncodeChat(history);
                if (prompt.Length >= tg.Generator.ContextLength)
                {
                    history.RemoveAt(history.Count - 1);
                    status.WriteLine($"error: the conversation ({prompt.Length} tokens) no longer fits the context of {tg.Generator.ContextLength}; /reset to start over");
                    continue;
                }
                var stats = new GenerationStats();
                var text = new StringBuilder();
                bool stopped = false;
                reply = CancellationTokenSource.CreateLinkedTokenSource(ct);
                try
                {
                    await foreach (var piece in tg.GenerateAsync(prompt, options, stats, reply.Token))
                    {
                        text.Append(piece);
                        output.Write(piece);
                        output.Flush();
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    stopped = true;
                }
                finally
                {
                    reply.Dispose();
                    reply = null;
                }
                output.WriteLine();
                if (stopped || stats.FinishReason == FinishReason.Cancelled) status.WriteLine("(reply stopped)");
                history.Add(new ChatMessage("assistant", text.ToString()));
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
