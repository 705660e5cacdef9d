using System.Text.Json;

namespace DeepSeekSharp.Training;

/// <summary>
/// Training text: plain-text files (documents separated by blank lines; a file without blank lines has one
/// document per line) or JSONL files (one document per line, in its "text" field).
/// </summary>
public static class TextCorpus
{
    /// <summary>The documents of every path in order (a folder contributes its *.txt and *.jsonl files, sorted by name).</summary>
    public static List<string> ReadDocuments(IEnumerable<string> paths)
    {
        var docs = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.GetFiles(path).Where(f => f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
                    .OrderBy(f => f, StringComparer.Ordinal).ToArray();
                if (files.Length == 0) throw new DssException($"{path}: no .txt or .jsonl files in the folder");
                foreach (var f in files) ReadFile(f, docs);
            }
            else if (File.Exists(path)) ReadFile(path, docs);
            else throw new DssException($"{path}: data file not found");
        }
        if (docs.Count == 0) throw new DssException("the data holds no documents");
        return docs;
    }

    private static void ReadFile(string path, List<string> docs)
    {
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            int lineNo = 0;
            foreach (var line in File.ReadLines(path))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                        throw new DssException($"{path}:{lineNo}: expected a JSON object with a string field \"text\"");
                    var text = t.GetString()!;
                    if (text.Length > 0) docs.Add(text);
                }
                catch (JsonException e)
                {
                    throw new DssException($"{path}:{lineNo}: not valid JSON: {e.Message}");
                }
            }
            return;
        }
        var lines = File.ReadAllLines(path);
        if (!lines.Any(string.IsNullOrWhiteSpace))
        {
            docs.AddRange(lines);
            return;
        }
        var cur = new List<string>();
        foreach (var line in lines.Append(""))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                if (cur.Count > 0) docs.Add(string.Join("\n", cur));
                cur.Clear();
            }
            else cur.Add(line);
        }
    }
}
