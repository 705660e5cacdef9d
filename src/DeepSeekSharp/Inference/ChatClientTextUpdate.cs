namespace DeepSeekSharp.Inference;

/// <summary>One piece of streamed text from <see cref="DeepSeekChatClient.GenerateTextAsync"/>.</summary>
/// <param name="Text">New text (possibly empty: a token that ends inside a UTF-8 character, or the final update).</param>
/// <param name="FinishReason">Set on the last update only.</param>
/// <param name="PromptTokens">Tokens of the prompt.</param>
/// <param name="CompletionTokens">Tokens generated so far.</param>
public sealed record ChatClientTextUpdate(string Text, FinishReason? FinishReason, int PromptTokens, int CompletionTokens);
