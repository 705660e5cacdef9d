using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;
using Microsoft.Extensions.AI;
using OpenAI.Chat;

namespace DeepSeekSharp.Tests;

/// <summary>The server driven by the official OpenAI .NET client and by Microsoft.Extensions.AI.OpenAI: greedy replies equal the Generator's.</summary>
public class ServerOpenAiClientTests
{
    private const string Question = "Tell me about the old house.";

    private static List<OpenAI.Chat.ChatMessage> OpenAiMessages() =>
        [new SystemChatMessage("You are terse."), new UserChatMessage(Question)];

    [Fact]
    public async Task OpenAiClientGreedyEqualsTheGeneratorStreamingAndNot()
    {
        var expected = await ChatClientTests.GreedyAlone(TestModels.TinyChat, ChatClientTests.Conversation(Question), 24);
        await using var server = await ServerHarness.StartAsync();
        var chat = server.OpenAiChat();
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };

        ChatCompletion reply = await chat.CompleteChatAsync(OpenAiMessages(), options);
        Assert.Equal(expected.Text, reply.Content.Count == 0 ? "" : reply.Content[0].Text);
        Assert.Equal(expected.Tokens == 24 ? OpenAI.Chat.ChatFinishReason.Length : OpenAI.Chat.ChatFinishReason.Stop, reply.FinishReason);
        Assert.Equal(expected.PromptTokens, reply.Usage.InputTokenCount);
        Assert.Equal(expected.Tokens, reply.Usage.OutputTokenCount);
        Assert.Equal(ServerHarness.ModelId, reply.Model);

        var text = new StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var u in chat.CompleteChatStreamingAsync(OpenAiMessages(), options))
        {
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }
        Assert.Equal(expected.Text, text.ToString());
        Assert.Equal(reply.FinishReason, finish);
        if (usage is not null) Assert.Equal(expected.Tokens, usage.OutputTokenCount);
    }

    [Fact]
    public async Task ExtensionsAiClientOverHttpEqualsTheGenerator()
    {
        var messages = ChatClientTests.Conversation("Where did they go?");
        var expected = await ChatClientTests.GreedyAlone(TestModels.TinyChat, messages, 20);
        await using var server = await ServerHarness.StartAsync();
        IChatClient client = server.OpenAiChat().AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 20 };

        var response = await client.GetResponseAsync(messages, options);
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(expected.Tokens, response.Usage?.OutputTokenCount);

        var streamed = await client.GetStreamingResponseAsync(messages, options).ToChatResponseAsync();
        Assert.Equal(expected.Text, streamed.Text);
        Assert.Equal(response.FinishReason, streamed.FinishReason);
    }

    [Fact]
    public async Task CompletionsEndpointStreamsAndAnswersLikeTheGenerator()
    {
        const string prompt = "It was a dark and stormy night; the";
        var tok = HfTokenizer.Load(TestModels.TinyChat);
        var ids = new List<int>();
        using (var m = Transformer.Load(TestModels.TinyChat))
            await foreach (var t in new Generator(m).GenerateAsync(tok.Encode(prompt, addSpecialTokens: true), SamplingOptions.Greedy with { MaxNewTokens = 12 }))
                ids.Add(t);
        string expected = tok.Decode(ids, skipSpecialTokens: true);

        await using var server = await ServerHarness.StartAsync();
        var body = new { model = ServerHarness.ModelId, prompt, max_tokens = 12, temperature = 0 };
        using var whole = await server.Http.PostAsJsonAsync("/v1/completions", body);
        Assert.Equal(200, (int)whole.StatusCode);
        using var doc = JsonDocument.Parse(await whole.Content.ReadAsStringAsync());
        Assert.Equal("text_completion", doc.RootElement.GetProperty("object").GetString());
        Assert.Equal(expected, doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(ids.Count, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var events = await ServerErrorTests.ReadSse(await server.Http.PostAsJsonAsync("/v1/completions",
            new { model = ServerHarness.ModelId, prompt, max_tokens = 12, temperature = 0, stream = true, stream_options = new { include_usage = true } }));
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.Equal(expected, string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal(ids.Count, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task ModelsHealthAndMetrics()
    {
        await using var server = await ServerHarness.StartAsync();
        using var models = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/models"));
        Assert.Equal(ServerHarness.ModelId, models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        using var one = JsonDocument.Parse(await server.Http.GetStringAsync($"/v1/models/{ServerHarness.ModelId}"));
        Assert.Equal("model", one.RootElement.GetProperty("object").GetString());
        using var health = JsonDocument.Parse(await server.Http.GetStringAsync("/health"));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        string metrics = await server.Http.GetStringAsync("/metrics");
        foreach (var name in new[] { "dss_requests_total", "dss_prompt_tokens_total", "dss_completion_tokens_total", "dss_queue_length",
            "dss_active_sequences", "dss_cache_bytes_in_use", "dss_request_duration_seconds", "dss_time_to_first_token_seconds" })
            Assert.Contains($"# TYPE {name} ", metrics);
        Assert.Equal(2, await server.Metric("dss_requests_total{endpoint=\"models\",code=\"200\"}"));
        Assert.Equal(2, await server.Metric("dss_request_duration_seconds_count{endpoint=\"models\"}"));
    }
}
