using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Tests;

/// <summary>Each error of the API: OpenAI's JSON shape and the right status; a client that leaves mid-stream frees its sequence.</summary>
public class ServerErrorTests
{
    /// <summary>The data payloads of an SSE response, in order.</summary>
    internal static async Task<List<string>> ReadSse(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            string text = await response.Content.ReadAsStringAsync();
            return text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(e => e.StartsWith("data: ", StringComparison.Ordinal) ? e["data: ".Length..] : throw new Xunit.Sdk.XunitException($"not an SSE data event: '{e}'"))
                .ToList();
        }
    }

    private static async Task<(int Status, JsonElement Error)> Post(HttpClient http, string path, string json)
    {
        using var r = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        string body = await r.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        return ((int)r.StatusCode, doc.RootElement.TryGetProperty("error", out var e) ? e.Clone() : default);
    }

    private static string Chat(string extra = "", string model = ServerHarness.ModelId) =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"temperature":0{{extra}}}""";

    [Fact]
    public async Task InvalidRequestsGet400InOpenAisShape()
    {
        await using var server = await ServerHarness.StartAsync();
        var cases = new (string Json, string Mentions)[]
        {
            ("{not json", "not valid JSON"),
            ("[1,2]", "not valid JSON"),
            ("""{"model":"v3-tiny-chat","messages":"hello"}""", "not valid JSON"),
            ("""{"model":"v3-tiny-chat","messages":[]}""", "messages"),
            ("""{"messages":[{"role":"user","content":"Hi"}]}""", "model"),
            (Chat(""","n":2"""), "n = 2"),
            (Chat(""","temperature":3"""), "temperature"),
            (Chat(""","top_p":0"""), "top_p"),
            (Chat(""","max_tokens":0"""), "max_tokens"),
            (Chat(""","presence_penalty":5"""), "presence_penalty"),
            (Chat(""","stop":[""]"""), "stop"),
            (Chat(""","stop":7"""), "stop"),
            (Chat(""","seed":99999999999"""), "seed"),
            ("""{"model":"v3-tiny-chat","messages":[{"role":"wizard","content":"Hi"}]}""", "wizard"),
            ("""{"model":"v3-tiny-chat","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", "image_url"),
        };
        foreach (var (json, mentions) in cases)
        {
            var (status, error) = await Post(server.Http, "/v1/chat/completions", json);
            Assert.True(status == 400, $"{json} -> {status}");
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Contains(mentions, error.GetProperty("message").GetString());
        }
        var (s2, e2) = await Post(server.Http, "/v1/completions", """{"model":"v3-tiny-chat","prompt":["a","b"]}""");
        Assert.Equal(400, s2);
        Assert.Contains("one prompt", e2.GetProperty("message").GetString());
        Assert.Equal(cases.Length + 1, await server.Metric("dss_requests_total{endpoint=\"chat_completions\",code=\"400\"}")
            + await server.Metric("dss_requests_total{endpoint=\"completions\",code=\"400\"}"));
    }

    [Fact]
    public async Task UnknownFieldsAreIgnoredAndPartsAreAccepted()
    {
        await using var server = await ServerHarness.StartAsync();
        string json = """{"model":"v3-tiny-chat","messages":[{"role":"developer","content":[{"type":"text","text":"Be brief."}]},{"role":"user","content":"Hi","name":"bob"}],"max_completion_tokens":3,"temperature":0,"logit_bias":{"5":1},"user":"u1","n":1,"stream":false,"future_field":{"a":[1,2]}}""";
        using var r = await server.Http.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("chat.completion", doc.RootElement.GetProperty("object").GetString());
        Assert.True(doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32() <= 3);
    }

    [Fact]
    public async Task UnknownModelIs404()
    {
        await using var server = await ServerHarness.StartAsync();
        var (status, error) = await Post(server.Http, "/v1/chat/completions", Chat(model: "gpt-4o"));
        Assert.Equal(404, status);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        using var r = await server.Http.GetAsync("/v1/models/gpt-4o");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
    }

    [Fact]
    public async Task ApiKeyIsRequiredWhenSet()
    {
        await using var server = await ServerHarness.StartAsync(apiKey: "sekret");
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        var (status, error) = await Post(anonymous, "/v1/chat/completions", Chat());
        Assert.Equal(401, status);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "wrong");
        Assert.Equal(401, (await Post(anonymous, "/v1/chat/completions", Chat())).Status);
        using var models = await anonymous.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode);
        using var health = await anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(200, (await Post(server.Http, "/v1/chat/completions", Chat())).Status);
        // The OpenAI client with the right key works too.
        var reply = await server.OpenAiChat().CompleteChatAsync([new OpenAI.Chat.UserChatMessage("Hi")], new OpenAI.Chat.ChatCompletionOptions { MaxOutputTokenCount = 2 });
        Assert.NotNull(reply.Value);
    }

    [Fact]
    public async Task PromptLongerThanTheContextIs400()
    {
        await using var server = await ServerHarness.StartAsync(new BatcherOptions { ContextLength = 32 });
        string longText = string.Join(' ', Enumerable.Repeat("the old house by the river", 20));
        var (status, error) = await Post(server.Http, "/v1/chat/completions",
            $$"""{"model":"v3-tiny-chat","messages":[{"role":"user","content":"{{longText}}"}]}""");
        Assert.Equal(400, status);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("32", error.GetProperty("message").GetString());
        var (s2, _) = await Post(server.Http, "/v1/completions", $$"""{"model":"v3-tiny-chat","prompt":"{{longText}}"}""");
        Assert.Equal(400, s2);
    }

    [Fact]
    public async Task FullQueueIs429()
    {
        await using var server = await ServerHarness.StartAsync(new BatcherOptions { MaxBatch = 1, MaxQueue = 1 });
        server.Client.Batcher.BeforeStep = _ => Thread.Sleep(10);
        string slow = """{"model":"v3-tiny-chat","messages":[{"role":"user","content":"Hi"}],"max_tokens":100,"seed":1,"stream":true}""";
        using var cts = new CancellationTokenSource();
        var first = server.Http.PostAsync("/v1/chat/completions", new StringContent(slow, Encoding.UTF8, "application/json"), cts.Token);
        await WaitUntil(() => server.Client.Batcher.GetMetrics().ActiveSequences == 1);
        var second = server.Http.PostAsync("/v1/chat/completions", new StringContent(slow, Encoding.UTF8, "application/json"), cts.Token);
        await WaitUntil(() => server.Client.Batcher.GetMetrics().QueueLength == 1);
        using var refused = await server.Http.PostAsync("/v1/chat/completions", new StringContent(Chat(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.Contains("Retry-After"));
        using var doc = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("queue_full", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        cts.Cancel();
        try { (await first).Dispose(); } catch (OperationCanceledException) { }
        try { (await second).Dispose(); } catch (OperationCanceledException) { }
        await server.WaitIdleAsync();
        Assert.Equal(1, await server.Metric("dss_requests_total{endpoint=\"chat_completions\",code=\"429\"}"));
        Assert.Equal(1, await server.Metric("dss_sequences_total{outcome=\"refused\"}"));
    }

    [Fact]
    public async Task ClientDisconnectingMidStreamFreesItsSequence()
    {
        await using var server = await ServerHarness.StartAsync();
        server.Client.Batcher.BeforeStep = _ => Thread.Sleep(10);
        string json = """{"model":"v3-tiny-chat","messages":[{"role":"user","content":"Tell me a long story."}],"max_tokens":100,"seed":1,"stream":true}""";
        // No draining of the unread response: disposing it closes the connection at once, as a client that goes away.
        using var leaver = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress };
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") })
        using (var response = await leaver.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var stream = await response.Content.ReadAsStreamAsync();
            using var reader = new StreamReader(stream);
            int events = 0;
            while (events < 3 && await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) events++;
            Assert.Equal(3, events);
            Assert.Equal(1, server.Client.Batcher.GetMetrics().ActiveSequences);
        } // disposing the response closes the connection mid-stream
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await server.WaitIdleAsync();
        Assert.True(sw.ElapsedMilliseconds < 15000, $"the sequence was freed only after {sw.ElapsedMilliseconds} ms"); // a hang guard; Cancelled == 1 below shows it was dropped, not finished
        var m = server.Client.Batcher.GetMetrics();
        Assert.Equal(1, m.Cancelled);
        Assert.True(m.GeneratedTokens < 50, $"{m.GeneratedTokens} tokens generated after the client left at 2");
        await WaitUntil(async () => await server.Metric("dss_requests_total{endpoint=\"chat_completions\",code=\"499\"}") == 1);
        // The server is still up and serves the next request.
        Assert.Equal(HttpStatusCode.OK, (await server.Http.PostAsync("/v1/chat/completions", new StringContent(Chat(), Encoding.UTF8, "application/json"))).StatusCode);
    }

    private static Task WaitUntil(Func<bool> condition) => WaitUntil(() => Task.FromResult(condition()));

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.ElapsedMilliseconds > 10_000) throw new TimeoutException("condition not met within 10 s");
            await Task.Delay(5);
        }
    }
}
