namespace DeepSeekSharp.Tokenization;

/// <summary>
/// A token from tokenizer.json's <c>added_tokens</c>: matched verbatim in the text before pre-tokenization.
/// <paramref name="Special"/> tokens are the ones <c>skipSpecialTokens</c> drops when decoding.
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special);
