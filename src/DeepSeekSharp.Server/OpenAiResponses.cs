namespace DeepSeekSharp.Server;

public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record ChatMessageOut(string Role, string? Content);

public sealed record ChatChoice(int Index, ChatMessageOut Message, string? FinishReason);

public sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage);

public sealed record ChatDelta(string? Role, string? Content);

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, string? FinishReason);

public sealed record ChatCompletionChunk(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, Usage? Usage);

public sealed record TextChoice(int Index, string Text, string? FinishReason);

public sealed record TextCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<TextChoice> Choices, Usage? Usage);

public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy);

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

public sealed record ErrorBody(string Message, string Type, string? Param, string? Code);

public sealed record ErrorResponse(ErrorBody Error);

public sealed record HealthStatus(string Status, string Model, int ActiveSequences, int QueueLength);
