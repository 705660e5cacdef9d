namespace DeepSeekSharp.Tokenization;

/// <summary>One message of a conversation: role "system", "user", "assistant" or "tool"; content null for an assistant tool call.</summary>
public sealed record ChatMessage(string Role, string? Content);
