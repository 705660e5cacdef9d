namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// The result of BPE training: the vocabulary in id order (added tokens, then the 256 byte symbols, then one entry
/// per merge that made a new string), the merges in rank order, and statistics of the training text.
/// Tokens are in byte-level form (GPT-2's byte-to-char table, so a space is 'Ġ').
/// </summary>
public sealed record TrainedBpe(
    IReadOnlyList<string> Vocab,
    IReadOnlyList<(string Left, string Right)> Merges,
    IReadOnlyList<AddedToken> AddedTokens,
    long PreTokens,
    int DistinctPreTokens,
    long TrainingTokens)
{
    /// <summary>Vocabulary size including the added tokens.</summary>
    public int VocabSize => Vocab.Count;
}
