using System.Text;

namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// The text files a tokenizer is trained on. Each path is a file, or a folder whose <c>*.txt</c> files (recursively)
/// are taken in ordinal order of their paths, so the same arguments always give the same corpus.
/// Files must be UTF-8 (a BOM is skipped); invalid UTF-8 is an error, not silently replaced.
/// </summary>
public sealed class TrainingCorpus
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public IReadOnlyList<string> Files { get; }

    private TrainingCorpus(IReadOnlyList<string> files) => Files = files;

    public static TrainingCorpus Resolve(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(Path.GetFullPath(path));
            }
            else if (Directory.Exists(path))
            {
                var found = Directory.GetFiles(path, "*.txt", SearchOption.AllDirectories)
                    .Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new DssException($"training data folder has no *.txt files: {path}");
                files.AddRange(found);
            }
            else
            {
                throw new DssException($"training data not found: {path}");
            }
        }
        if (files.Count == 0) throw new DssException("no training data given");
        return new TrainingCorpus(files);
    }

    /// <summary>The text of one file.</summary>
    public static string ReadText(string file)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(file);
            int bom = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
            return StrictUtf8.GetString(bytes, bom, bytes.Length - bom);
        }
        catch (DecoderFallbackException e)
        {
            throw new DssException($"{file}: not valid UTF-8 (at byte {e.Index})", e);
        }
    }
}
