using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Tokenization.Training;

/// <summary>Writes tokenizer.json and tokenizer_config.json into a folder, each atomically (temp file + rename).</summary>
public static class TrainedTokenizerFiles
{
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfigJson = "tokenizer_config.json";

    public static void Write(TrainedBpe bpe, string dir)
    {
        ArgumentNullException.ThrowIfNull(bpe);
        ArgumentException.ThrowIfNullOrEmpty(dir);
        if (File.Exists(dir)) throw new DssException($"output path is a file, not a folder: {dir}");
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllBytes(Path.Combine(dir, TokenizerJson), TokenizerJsonWriter.ToBytes(bpe));
        AtomicFile.WriteAllBytes(Path.Combine(dir, TokenizerConfigJson), TokenizerConfigWriter.ToBytes());
    }
}
