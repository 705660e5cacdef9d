namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// Settings of <see cref="BpeTrainer"/>. <paramref name="VocabSize"/> counts everything: added tokens, the 256 byte
/// symbols and the merged tokens. Training stops with an error, rather than writing a smaller vocabulary, when no
/// pair occurs at least <paramref name="MinFrequency"/> times before that size is reached.
/// </summary>
public sealed record BpeTrainerOptions(int VocabSize, long MinFrequency = 2)
{
    /// <summary>Called every <see cref="ProgressInterval"/> merges and after the last: (merges done, merges wanted).</summary>
    public Action<int, int>? Progress { get; init; }

    public int ProgressInterval { get; init; } = 1000;
}
