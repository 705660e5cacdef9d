using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace DeepSeekSharp.Tests;

public class ChatClientTests
{
    internal static AiChatMessage[] Conversation(string user) =>
        [new(ChatRole.System, "You are terse."), new(ChatRole.User, user)];

    /// <summary>What the single-sequence Generator produces for the conversation (greedy), as text and token count.</summary>
    internal static async Task<(string Text, int Tokens, int PromptTokens)> GreedyAlone(string dir, IEnumerable<AiChatMessage> messages, int maxTokens)
    {
        var tok = HfTokenizer.Load(dir);
        using var m = Transformer.Load(dir);
        var prompt = new DeepSeekChatClient(new Batcher(m), tok, "x").EncodeChat(messages);
        var ids = new List<int>();
        await foreach (var t in new Generator(m).GenerateAsync(prompt, SamplingOptions.Greedy with { MaxNewTokens = maxTokens })) ids.Add(t);
        return (tok.Decode(ids, skipSpecialTokens: true), ids.Count, prompt.Length);
    }

    [Fact]
    public async Task StreamingAndNonStreamingGreedyEqualTheGenerator()
    {
        string dir = TestModels.TinyChat;
        var messages = Conversation("Tell me about the old house.");
        var expected = await GreedyAlone(dir, messages, 24);
        Assert.True(expected.Text.Length > 0);

        using var client = DeepSeekChatClient.Load(dir);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 24 };
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        await foreach (var u in client.GetStreamingResponseAsync(messages, options))
        {
            text.Append(u.Text);
            finish ??= u.FinishReason;
            usage ??= u.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
            Assert.Equal(ChatRole.Assistant, u.Role);
            Assert.Equal("v3-tiny-chat", u.ModelId);
        }
        Assert.Equal(expected.Text, text.ToString());
        Assert.Equal(expected.Tokens == 24 ? ChatFinishReason.Length : ChatFinishReason.Stop, finish);
        Assert.Equal(expected.PromptTokens, usage!.InputTokenCount);
        Assert.Equal(expected.Tokens, usage.OutputTokenCount);

        var response = await client.GetResponseAsync(messages, options);
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(finish, response.FinishReason);
        Assert.Equal(expected.Tokens, response.Usage!.OutputTokenCount);
        Assert.Equal(expected.PromptTokens + expected.Tokens, response.Usage.TotalTokenCount);
        Assert.Equal("v3-tiny-chat", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task StopSequencesCutTheTextBeforeThem()
    {
        using var client = DeepSeekChatClient.Load(TestModels.TinyChat);
        var messages = Conversation("Where did they go?");
        var full = (await client.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 30 })).Text;
        Assert.True(full.Length >= 6, $"greedy text too short to cut: '{full}'");
        string stop = full.Substring(full.Length / 2, 2);
        int at = full.IndexOf(stop, StringComparison.Ordinal);
        var cut = await client.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 30, StopSequences = [stop] });
        Assert.Equal(full[..at], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        await WaitIdle(client.Batcher);
    }

    [Fact]
    public async Task ConcurrentCallersGetTheirOwnReplies()
    {
        using var client = DeepSeekChatClient.Load(TestModels.TinyChat, new BatcherOptions { MaxBatch = 4 });
        string[] questions = ["Hello there.", "What time is it?", "Why?", "He said nothing at all to the man.", "Go home.", "Who are you?"];
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 16 };
        var alone = new List<string>();
        foreach (var q in questions) alone.Add((await client.GetResponseAsync(Conversation(q), options)).Text);
        var together = await Task.WhenAll(questions.Select(q => Task.Run(() => client.GetResponseAsync(Conversation(q), options))));
        Assert.Equal(alone, together.Select(r => r.Text));
        Assert.True(alone.Distinct().Count() > 1, "all replies are the same: the test would not see cross-wiring");
    }

    [Fact]
    public async Task SeedAndPenaltiesAreHonoured()
    {
        using var client = DeepSeekChatClient.Load(TestModels.TinyChat);
        var messages = Conversation("Say something.");
        var seeded = new ChatOptions { Temperature = 0.9f, TopP = 0.95f, TopK = 40, Seed = 5, MaxOutputTokens = 20 };
        var a = await client.GetResponseAsync(messages, seeded);
        var b = await client.GetResponseAsync(messages, seeded);
        Assert.Equal(a.Text, b.Text);
        var s = client.ToSamplingOptions(new ChatOptions { Temperature = 0.5f, TopP = 0.5f, TopK = 7, Seed = 9, PresencePenalty = 1.5f, FrequencyPenalty = 0.25f, MaxOutputTokens = 3, StopSequences = ["x"] });
        Assert.Equal((0.5, 0.5, 7, 9, 1.5, 0.25, 3), (s.Temperature, s.TopP, s.TopK, s.Seed!.Value, s.PresencePenalty, s.FrequencyPenalty, s.MaxNewTokens!.Value));
        Assert.Equal(["x"], s.StopStrings);
        Assert.Throws<DssException>(() => client.ToSamplingOptions(new ChatOptions { Temperature = -1 }));
        Assert.Throws<DssException>(() => client.ToSamplingOptions(new ChatOptions { Seed = long.MaxValue }));
        // A frequency penalty changes greedy output of a repetitive continuation (or at least never breaks it).
        var plain = await client.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 40 });
        var penalised = await client.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 40, FrequencyPenalty = 2f, PresencePenalty = 2f });
        Assert.NotEqual(plain.Text, penalised.Text);
    }

    [Fact]
    public async Task CancellationStopsTheStreamAndFreesTheCache()
    {
        using var client = DeepSeekChatClient.Load(TestModels.TinyChat);
        client.Batcher.BeforeStep = _ => Thread.Sleep(3);
        using var cts = new CancellationTokenSource();
        int updates = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(Conversation("Tell me a long story."), new ChatOptions { Seed = 1, MaxOutputTokens = 100 }, cts.Token))
                if (++updates == 2) cts.Cancel();
        });
        await WaitIdle(client.Batcher);
        Assert.Equal(1, client.Batcher.GetMetrics().Cancelled);
    }

    internal static async Task WaitIdle(Batcher b)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (b.GetMetrics() is not { ActiveSequences: 0, QueueLength: 0, CacheBytesInUse: 0 })
        {
            if (sw.ElapsedMilliseconds > 5000) throw new TimeoutException("the batcher did not free its sequences");
            await Task.Delay(5);
        }
    }
}
