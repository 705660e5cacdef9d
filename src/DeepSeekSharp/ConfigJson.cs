using System.Text.Json;

namespace DeepSeekSharp;

/// <summary>Parses a config-style JSON file (config.json and friends): tolerant of comments and trailing commas, strict about the top level.</summary>
public static class ConfigJson
{
    /// <summary>The parsed document; a clear error naming <paramref name="source"/> when the JSON is malformed or not an object.</summary>
    public static JsonDocument ParseObject(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new DssException($"{source}: not well-formed JSON: {e.Message}");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new DssException($"{source}: expected a JSON object at the top level");
        }
        return doc;
    }
}
