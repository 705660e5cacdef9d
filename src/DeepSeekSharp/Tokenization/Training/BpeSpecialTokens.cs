namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// The added tokens of a trained tokenizer, spelt as DeepSeek-V3 spells them (fullwidth bars, U+2581 for spaces).
/// They take ids 0..4, before the 256 byte symbols, as DeepSeek-V3 puts BOS/EOS/pad at 0/1/2. As in DeepSeek-V3,
/// BOS, EOS and pad are "special" (dropped by skip_special_tokens, normalized false) and the two role markers are
/// not (kept when decoding, normalized true).
/// </summary>
public static class BpeSpecialTokens
{
    public const string Bos = "<｜begin▁of▁sentence｜>";
    public const string Eos = "<｜end▁of▁sentence｜>";
    public const string Pad = "<｜▁pad▁｜>";
    public const string User = "<｜User｜>";
    public const string Assistant = "<｜Assistant｜>";

    /// <summary>All added tokens with their ids (their position in this list).</summary>
    public static IReadOnlyList<AddedToken> All { get; } =
    [
        new(0, Bos, Special: true),
        new(1, Eos, Special: true),
        new(2, Pad, Special: true),
        new(3, User, Special: false),
        new(4, Assistant, Special: false),
    ];

    /// <summary>The smallest vocabulary a trainer can produce: the added tokens and the 256 byte symbols.</summary>
    public static int MinVocabSize => All.Count + 256;
}
