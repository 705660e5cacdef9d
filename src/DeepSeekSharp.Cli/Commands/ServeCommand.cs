using System.CommandLine;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Server;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss serve --model DIR`: the OpenAI-compatible HTTP API with continuous batching.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model(required: false);
        var host = new Option<string>("--host") { Description = "Address to listen on (an IP, 'localhost' or '*')", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0 = a free one)", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on /v1/* (default: the DSS_API_KEY variable, else none)" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most sequences decoded together in one step", DefaultValueFactory = _ => 8 };
        var ctx = new Option<int?>("--ctx") { Description = "Context per sequence in tokens (default: the model's max_position_embeddings)" };
        var maxQueue = new Option<int>("--max-queue") { Description = "Most requests waiting for a slot; more get HTTP 429", DefaultValueFactory = _ => 64 };
        var cacheMiB = new Option<long?>("--cache-mib") { Description = "Memory budget of all latent caches in MiB (default: max-batch full contexts)" };
        var modelId = new Option<string?>("--model-id") { Description = "Model name clients send (default: the folder's name)" };
        var speculative = new Option<string>("--speculative") { Description = "MTP speculative decoding: mtp or off (default: mtp when the model has MTP layers)" };
        var cmd = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API (chat/completions, completions, models, health, metrics)")
        {
            model, host, port, apiKey, maxBatch, ctx, maxQueue, cacheMiB, modelId, speculative,
        };
        cmd.SetGuardedAction(async (p, ct) =>
        {
            string dir = ModelOptions.ResolveModel(p.GetValue(model));
            var batcher = new BatcherOptions
            {
                MaxBatch = p.GetValue(maxBatch),
                ContextLength = p.GetValue(ctx),
                MaxQueue = p.GetValue(maxQueue),
                CacheBudgetBytes = p.GetValue(cacheMiB) is long mib ? checked(mib * 1024 * 1024) : null,
                Speculative = p.GetValue(speculative)?.ToLowerInvariant() switch
                {
                    null => null,
                    "mtp" or "on" => true,
                    "off" => false,
                    var s => throw new DssException($"--speculative '{s}' is not one of mtp, off"),
                },
            };
            using var client = DeepSeekChatClient.Load(dir, batcher, p.GetValue(modelId));
            var options = new DeepSeekServerOptions
            {
                Host = p.GetValue(host)!,
                Port = p.GetValue(port),
                ApiKey = p.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("DSS_API_KEY"),
            };
            await using var app = DeepSeekServerHost.Build(client, options);
            await app.StartAsync(ct);
            var b = client.Batcher;
            Console.WriteLine($"dss serve: '{client.ModelId}' on {DeepSeekServerHost.BaseAddress(app)} " +
                $"(max batch {b.Options.MaxBatch}, context {b.ContextLength}, queue {b.Options.MaxQueue}, cache budget {b.CacheBudgetBytes / (1024.0 * 1024):F1} MiB" +
                $"{(b.Speculative ? ", MTP speculative decoding" : "")}{(options.ApiKey is null ? "" : ", API key required")}); Ctrl+C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            await app.StopAsync(CancellationToken.None);
            Console.WriteLine("dss serve: stopped");
            return 0;
        });
        return cmd;
    }
}
