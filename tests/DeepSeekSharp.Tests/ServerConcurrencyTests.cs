using System.Text;
using OpenAI.Chat;

namespace DeepSeekSharp.Tests;

/// <summary>32 clients at once over real sockets: every reply equals the same request run alone, and /metrics adds up.</summary>
public class ServerConcurrencyTests
{
    private static readonly string[] Questions =
    [
        "Hello there.", "What time is it?", "Why?", "He said nothing at all to the man.",
        "Go home.", "Who are you?", "Tell me about the old house.", "Where did they go?",
    ];

    private static async Task<(string Text, int Tokens)> Ask(ChatClient chat, string question, int maxTokens, bool stream)
    {
        var messages = new List<ChatMessage> { new SystemChatMessage("You are terse."), new UserChatMessage(question) };
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = maxTokens };
        if (!stream)
        {
            ChatCompletion c = await chat.CompleteChatAsync(messages, options);
            return (c.Content.Count == 0 ? "" : c.Content[0].Text, c.Usage.OutputTokenCount);
        }
        var text = new StringBuilder();
        int tokens = -1;
        await foreach (var u in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var p in u.ContentUpdate) text.Append(p.Text);
            if (u.Usage is { } usage) tokens = usage.OutputTokenCount;
        }
        return (text.ToString(), tokens);
    }

    [Fact]
    public async Task ThirtyTwoClientsGetTheirOwnGreedyReplies()
    {
        await using var server = await ServerHarness.StartAsync(new DeepSeekSharp.Inference.BatcherOptions { MaxBatch = 8, MaxQueue = 64 });
        var chat = server.OpenAiChat();
        int[] lengths = [4, 9, 16, 24];

        // Every distinct request alone first (one at a time).
        var alone = new Dictionary<(int Q, int L), (string Text, int Tokens)>();
        foreach (int q in Enumerable.Range(0, Questions.Length))
            foreach (int l in lengths)
                alone[(q, l)] = await Ask(chat, Questions[q], l, stream: false);
        Assert.True(alone.Values.Select(v => v.Text).Distinct().Count() > 4, "replies too alike to catch cross-wiring");
        double tokensBefore = await server.Metric("dss_completion_tokens_total");
        double okBefore = await server.Metric("dss_requests_total{endpoint=\"chat_completions\",code=\"200\"}");

        const int clients = 32, perClient = 3;
        int peakActive = 0;
        server.Client.Batcher.BeforeStep = items => peakActive = Math.Max(peakActive, items.Count);
        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = new List<((int Q, int L) Key, bool Stream, (string Text, int Tokens) Got)>();
            for (int i = 0; i < perClient; i++)
            {
                var key = ((c * 7 + i * 3) % Questions.Length, lengths[(c + i) % lengths.Length]);
                bool stream = (c + i) % 2 == 0;
                mine.Add((key, stream, await Ask(chat, Questions[key.Item1], key.Item2, stream)));
            }
            return mine;
        })));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(clients * perClient, all.Count);
        foreach (var (key, stream, got) in all)
        {
            Assert.Equal(alone[key].Text, got.Text);
            Assert.Equal(alone[key].Tokens, got.Tokens);
        }
        Assert.True(peakActive > 1, "requests never shared a decode step");

        await server.WaitIdleAsync();
        Assert.Equal(okBefore + clients * perClient, await server.Metric("dss_requests_total{endpoint=\"chat_completions\",code=\"200\"}"));
        Assert.Equal(tokensBefore + all.Sum(a => a.Got.Tokens), await server.Metric("dss_completion_tokens_total"));
        Assert.Equal(0, await server.Metric("dss_active_sequences"));
        Assert.Equal(0, await server.Metric("dss_queue_length"));
        Assert.Equal(0, await server.Metric("dss_cache_bytes_in_use"));
        var m = server.Client.Batcher.GetMetrics();
        Assert.Equal(alone.Count + clients * perClient, m.Completed);
        Assert.Equal(0, m.Failed + m.Refused + m.Cancelled);
        Assert.Equal(m.GeneratedTokens, await server.Metric("dss_completion_tokens_total"));
        Assert.Equal(okBefore + clients * perClient, await server.Metric("dss_request_duration_seconds_count{endpoint=\"chat_completions\"}"));
    }
}
