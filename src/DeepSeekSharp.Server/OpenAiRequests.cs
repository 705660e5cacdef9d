using System.Text.Json;

namespace DeepSeekSharp.Server;

/// <summary>Fields that /v1/chat/completions and /v1/completions share (OpenAI's names, snake_case on the wire).</summary>
public abstract class OpenAiRequest
{
    public string? Model { get; set; }
    public int? MaxTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    /// <summary>Not OpenAI's, but vLLM's and llama.cpp's: keep the k most probable tokens.</summary>
    public int? TopK { get; set; }
    /// <summary>A string or an array of strings.</summary>
    public JsonElement? Stop { get; set; }
    public long? Seed { get; set; }
    public double? PresencePenalty { get; set; }
    public double? FrequencyPenalty { get; set; }
    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    public int? N { get; set; }
}

public sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }
}

/// <summary>POST /v1/chat/completions.</summary>
public sealed class ChatCompletionRequest : OpenAiRequest
{
    public List<ChatMessageDto>? Messages { get; set; }
    public int? MaxCompletionTokens { get; set; }
}

/// <summary>One message: content is a string or an array of parts ({"type": "text", "text": ...}).</summary>
public sealed class ChatMessageDto
{
    public string? Role { get; set; }
    public JsonElement? Content { get; set; }
}

/// <summary>POST /v1/completions: prompt is a string, an array of one string, or an array of token ids.</summary>
public sealed class CompletionRequest : OpenAiRequest
{
    public JsonElement? Prompt { get; set; }
}
