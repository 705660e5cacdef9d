using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DeepSeekSharp.Inference;
using Microsoft.AspNetCore.Http;

namespace DeepSeekSharp.Server;

/// <summary>
/// The OpenAI-compatible API over one <see cref="DeepSeekChatClient"/>: request handlers, API-key check, errors
/// in OpenAI's JSON shape and metrics. Map it with <see cref="EndpointRouteBuilderExtensions.MapDeepSeekSharp"/>.
/// </summary>
public sealed class DeepSeekApi
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private readonly byte[]? _apiKey;
    private readonly long _started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public DeepSeekApi(DeepSeekChatClient client, DeepSeekServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        Client = client;
        Options = options ?? new DeepSeekServerOptions();
        _apiKey = string.IsNullOrEmpty(Options.ApiKey) ? null : Encoding.UTF8.GetBytes(Options.ApiKey);
    }

    public DeepSeekChatClient Client { get; }
    public DeepSeekServerOptions Options { get; }
    public ServerMetrics Metrics { get; } = new();

    private static OpenAiJsonContext Json => OpenAiJsonContext.Default;

    public Task ChatCompletions(HttpContext ctx) => Generate(ctx, "chat_completions", chat: true);

    public Task Completions(HttpContext ctx) => Generate(ctx, "completions", chat: false);

    public Task Models(HttpContext ctx) => Simple(ctx, "models", () =>
        (Json.ModelList, new ModelList("list", [Card()])));

    public Task Model(HttpContext ctx) => Simple(ctx, "models", () =>
    {
        string id = ctx.Request.RouteValues["id"] as string ?? "";
        return id == Client.ModelId
            ? (Json.ModelCard, Card())
            : throw new ApiException(404, $"The model '{id}' does not exist", param: "model", code: "model_not_found");
    });

    public async Task Health(HttpContext ctx)
    {
        var m = Client.Batcher.GetMetrics();
        await WriteJson(ctx, 200, new HealthStatus("ok", Client.ModelId, m.ActiveSequences, m.QueueLength), Json.HealthStatus);
    }

    public async Task MetricsText(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await ctx.Response.WriteAsync(Metrics.Render(Client.Batcher.GetMetrics()), ctx.RequestAborted);
    }

    private ModelCard Card() => new(Client.ModelId, "model", _started, "deepseeksharp");

    private async Task Simple<T>(HttpContext ctx, string endpoint, Func<(JsonTypeInfo<T> Info, T Value)> body)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            Authorize(ctx);
            var (info, value) = body();
            await WriteJson(ctx, 200, value, info);
        }
        catch (ApiException e)
        {
            await WriteError(ctx, e);
        }
        finally
        {
            Metrics.RecordRequest(endpoint, ctx.Response.StatusCode, sw.Elapsed);
        }
    }

    private async Task Generate(HttpContext ctx, string endpoint, bool chat)
    {
        var sw = Stopwatch.StartNew();
        var ct = ctx.RequestAborted;
        int status = 200;
        try
        {
            Authorize(ctx);
            var req = chat
                ? RequestValidator.Chat(await Read(ctx, Json.ChatCompletionRequest), Client)
                : RequestValidator.Completion(await Read(ctx, Json.CompletionRequest), Client);
            string id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            await using var updates = Client.GenerateTextAsync(req.Prompt, req.Sampling, ct).GetAsyncEnumerator(ct);
            if (!await First(updates)) throw new ApiException(500, "the engine produced no response", "server_error");
            Metrics.TimeToFirstToken.Observe(sw.Elapsed.TotalSeconds);
            var reply = new Reply(ctx, id, created, Client.ModelId, chat, req);
            var last = req.Stream ? await reply.Stream(updates) : await reply.Whole(updates);
            Metrics.RecordTokens(last.PromptTokens, last.CompletionTokens);
        }
        catch (ApiException e)
        {
            status = e.Status;
            if (!ctx.Response.HasStarted) await WriteError(ctx, e);
            else await WriteStreamError(ctx, e);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            status = 499; // the client went away: the sequence and its cache were freed by the cancellation
        }
        catch (DssException e) when (ctx.Response.HasStarted)
        {
            status = 500;
            await WriteStreamError(ctx, new ApiException(500, e.Message, "server_error"));
        }
        finally
        {
            Metrics.RecordRequest(endpoint, status, sw.Elapsed);
        }
    }

    // Waits for the first update (queueing + prefill); engine refusals become HTTP errors before any byte is sent.
    private static async Task<bool> First(IAsyncEnumerator<ChatClientTextUpdate> updates)
    {
        try
        {
            return await updates.MoveNextAsync();
        }
        catch (BatcherQueueFullException e)
        {
            throw new ApiException(429, e.Message, "rate_limit_error", code: "queue_full");
        }
        catch (DssException e)
        {
            throw ApiException.Invalid(e.Message);
        }
    }

    private void Authorize(HttpContext ctx)
    {
        if (_apiKey is null) return;
        string header = ctx.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        bool ok = header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[bearer.Length..].Trim()), _apiKey);
        if (!ok)
        {
            throw new ApiException(401, header.Length == 0
                ? "You didn't provide an API key: send it as 'Authorization: Bearer KEY'"
                : "Incorrect API key provided", code: "invalid_api_key");
        }
    }

    private static async Task<T> Read<T>(HttpContext ctx, JsonTypeInfo<T> info) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(ctx.Request.Body, info, ctx.RequestAborted)
                ?? throw ApiException.Invalid("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiException.Invalid($"the request body is not valid JSON for this endpoint: {e.Message}");
        }
    }

    internal static async Task WriteJson<T>(HttpContext ctx, int status, T value, JsonTypeInfo<T> info)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(ctx.Response.Body, value, info, ctx.RequestAborted);
    }

    private static async Task WriteError(HttpContext ctx, ApiException e)
    {
        if (e.Status == 429) ctx.Response.Headers.RetryAfter = "1";
        if (e.Status == 401) ctx.Response.Headers.WWWAuthenticate = "Bearer";
        await WriteJson(ctx, e.Status, e.ToResponse(), Json.ErrorResponse);
    }

    private static async Task WriteStreamError(HttpContext ctx, ApiException e)
    {
        try
        {
            await WriteEvent(ctx, e.ToResponse(), Json.ErrorResponse);
            await ctx.Response.Body.WriteAsync(Done, ctx.RequestAborted);
        }
        catch (Exception x) when (x is IOException or OperationCanceledException)
        {
            // The client is gone; nothing more to tell it.
        }
    }

    internal static async Task WriteEvent<T>(HttpContext ctx, T value, JsonTypeInfo<T> info)
    {
        var body = ctx.Response.Body;
        await body.WriteAsync(DataPrefix, ctx.RequestAborted);
        await body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(value, info), ctx.RequestAborted);
        await body.WriteAsync(EventEnd, ctx.RequestAborted);
        await body.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>Writes one generation as an SSE stream or one JSON object, chat or text completion.</summary>
    private sealed class Reply(HttpContext ctx, string id, long created, string Model, bool chat, ValidatedRequest req)
    {
        public async Task<ChatClientTextUpdate> Stream(IAsyncEnumerator<ChatClientTextUpdate> updates)
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            ctx.Response.Headers["X-Accel-Buffering"] = "no";
            if (chat) await WriteEvent(ctx, Chunk(new ChatDelta("assistant", ""), null, null), Json.ChatCompletionChunk);
            ChatClientTextUpdate u;
            do
            {
                u = updates.Current;
                if (u.Text.Length > 0) await Piece(u.Text, null);
                if (u.FinishReason is { } r) await Piece(null, r.ToOpenAi());
            }
            while (await updates.MoveNextAsync());
            if (req.IncludeUsage)
            {
                var usage = new Usage(u.PromptTokens, u.CompletionTokens, u.PromptTokens + u.CompletionTokens);
                if (chat) await WriteEvent(ctx, new ChatCompletionChunk(id, "chat.completion.chunk", created, Model, [], usage), Json.ChatCompletionChunk);
                else await WriteEvent(ctx, new TextCompletion(id, "text_completion", created, Model, [], usage), Json.TextCompletion);
            }
            await ctx.Response.Body.WriteAsync(Done, ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            return u;
        }

        public async Task<ChatClientTextUpdate> Whole(IAsyncEnumerator<ChatClientTextUpdate> updates)
        {
            var text = new StringBuilder();
            ChatClientTextUpdate u;
            do
            {
                u = updates.Current;
                text.Append(u.Text);
            }
            while (await updates.MoveNextAsync());
            var usage = new Usage(u.PromptTokens, u.CompletionTokens, u.PromptTokens + u.CompletionTokens);
            string finish = (u.FinishReason ?? FinishReason.Stop).ToOpenAi();
            if (chat)
            {
                var body = new ChatCompletion(id, "chat.completion", created, Model, [new ChatChoice(0, new ChatMessageOut("assistant", text.ToString()), finish)], usage);
                await WriteJson(ctx, 200, body, Json.ChatCompletion);
            }
            else
            {
                await WriteJson(ctx, 200, new TextCompletion(id, "text_completion", created, Model, [new TextChoice(0, text.ToString(), finish)], usage), Json.TextCompletion);
            }
            return u;
        }

        private Task Piece(string? text, string? finish) => chat
            ? WriteEvent(ctx, Chunk(new ChatDelta(null, text), finish, null), Json.ChatCompletionChunk)
            : WriteEvent(ctx, new TextCompletion(id, "text_completion", created, Model, [new TextChoice(0, text ?? "", finish)], null), Json.TextCompletion);

        private ChatCompletionChunk Chunk(ChatDelta delta, string? finish, Usage? usage) =>
            new(id, "chat.completion.chunk", created, Model, [new ChatChunkChoice(0, delta, finish)], usage);
    }
}
