using System.Reflection;

namespace DeepSeekSharp.CostModel;

/// <summary>
/// The Hugging Face config.json files shipped in data/configs/ and embedded in this assembly, so `dss cost`
/// prints the paper's tables from any directory.
/// </summary>
public static class ShippedConfigs
{
    public const string DeepSeekV3 = "deepseek-v3";
    public const string DeepSeekV2 = "deepseek-v2";
    public const string DeepSeekV2Lite = "deepseek-v2-lite";
    public const string Moonlight = "moonlight-16b-a3b";
    public const string Qwen25_72B = "qwen2.5-72b";
    public const string Qwen72B = "qwen-72b";
    public const string Llama31_405B = "llama-3.1-405b";

    private static readonly (string Key, string Display)[] All =
    [
        (DeepSeekV3, "DeepSeek-V3"), (DeepSeekV2, "DeepSeek-V2"), (DeepSeekV2Lite, "DeepSeek-V2-Lite"),
        (Moonlight, "Moonlight-16B-A3B"), (Qwen25_72B, "Qwen-2.5 72B"), (Qwen72B, "Qwen-72B"), (Llama31_405B, "LLaMA-3.1 405B"),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(a => a.Key).ToArray();

    public static ArchConfig Load(string key)
    {
        var entry = All.FirstOrDefault(a => a.Key.Equals(key, StringComparison.OrdinalIgnoreCase));
        if (entry.Key is null) throw new DssException($"'{key}' is not a shipped config (shipped: {string.Join(", ", Names)})");
        string resource = "DeepSeekSharp.Configs." + entry.Key + ".json";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing from the build");
        using var reader = new StreamReader(stream);
        return ArchConfigReader.Parse(reader.ReadToEnd(), "shipped:" + entry.Key, entry.Display);
    }

    /// <summary>A path to a config.json (or its folder), or the name of a shipped config.</summary>
    public static ArchConfig Resolve(string pathOrName)
    {
        if (File.Exists(pathOrName) || Directory.Exists(pathOrName)) return ArchConfigReader.ReadFile(pathOrName);
        if (Names.Contains(pathOrName, StringComparer.OrdinalIgnoreCase)) return Load(pathOrName);
        throw new DssException($"{pathOrName}: no such config file, and not a shipped config (shipped: {string.Join(", ", Names)})");
    }
}
