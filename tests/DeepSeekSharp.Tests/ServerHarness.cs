using System.ClientModel;
using System.Globalization;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Server;
using Microsoft.AspNetCore.Builder;
using OpenAI;

namespace DeepSeekSharp.Tests;

/// <summary>The API hosted in-process by Kestrel on 127.0.0.1 with a free port, over the tiny chat model.</summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    public const string ModelId = "v3-tiny-chat";

    private ServerHarness(DeepSeekChatClient client, WebApplication app, string? apiKey)
    {
        Client = client;
        App = app;
        ApiKey = apiKey;
        BaseAddress = DeepSeekServerHost.BaseAddress(app);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null) Http.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
    }

    public DeepSeekChatClient Client { get; }
    public WebApplication App { get; }
    public string? ApiKey { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }

    public static async Task<ServerHarness> StartAsync(BatcherOptions? batcher = null, string? apiKey = null)
    {
        var client = DeepSeekChatClient.Load(TestModels.TinyChat, batcher);
        try
        {
            var app = DeepSeekServerHost.Build(client, new DeepSeekServerOptions { Host = "127.0.0.1", Port = 0, ApiKey = apiKey });
            await app.StartAsync();
            return new ServerHarness(client, app, apiKey);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The official OpenAI .NET client pointed at this server (no retries, so errors surface as they are).</summary>
    public OpenAI.Chat.ChatClient OpenAiChat() => new(ModelId, new ApiKeyCredential(ApiKey ?? "unused"),
        new OpenAIClientOptions { Endpoint = new Uri(BaseAddress, "v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });

    /// <summary>One sample of /metrics by name and labels, e.g. dss_requests_total{endpoint="models",code="200"}; 0 when absent.</summary>
    public async Task<double> Metric(string series)
    {
        string text = await Http.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(series + " ", StringComparison.Ordinal)) continue;
            return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        }
        return 0;
    }

    public async Task WaitIdleAsync() => await ChatClientTests.WaitIdle(Client.Batcher);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Client.Dispose();
    }
}
