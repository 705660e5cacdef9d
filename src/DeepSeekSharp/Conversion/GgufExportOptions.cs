using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Conversion;

/// <summary>
/// How to export a checkpoint to GGUF. Type is the type of the large (2-D and 3-D) tensors; norms, biases and the
/// router stay F32, and Q8_0 falls back to F16 for tensors whose rows are not a multiple of 32 (as llama.cpp's
/// converter does). Tokenizer: a tokenizer.json path (default: the model folder's), or a synthetic byte-level one.
/// </summary>
public sealed record GgufExportOptions(GgmlType Type)
{
    public string? TokenizerPath { get; init; }
    public bool SyntheticTokenizer { get; init; }
    public string? Name { get; init; }
}
