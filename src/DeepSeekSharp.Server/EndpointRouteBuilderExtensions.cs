using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Server;

public static class EndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the OpenAI-compatible API: POST /v1/chat/completions, POST /v1/completions, GET /v1/models[/{id}],
    /// GET /health and GET /metrics (Prometheus text). Returns the API object (its metrics, client and options).
    /// </summary>
    public static DeepSeekApi MapDeepSeekSharp(this IEndpointRouteBuilder endpoints, DeepSeekChatClient client, DeepSeekServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = new DeepSeekApi(client, options);
        endpoints.MapPost("/v1/chat/completions", (RequestDelegate)api.ChatCompletions);
        endpoints.MapPost("/v1/completions", (RequestDelegate)api.Completions);
        endpoints.MapGet("/v1/models", (RequestDelegate)api.Models);
        endpoints.MapGet("/v1/models/{id}", (RequestDelegate)api.Model);
        endpoints.MapGet("/health", (RequestDelegate)api.Health);
        endpoints.MapGet("/metrics", (RequestDelegate)api.MetricsText);
        return api;
    }
}
