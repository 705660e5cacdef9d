using System.CommandLine;
using DeepSeekSharp.CostModel;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>The options every `dss cost` sub-command shares, made fresh for each command.</summary>
internal static class CostOptions
{
    public static Option<string> Format()
    {
        var o = new Option<string>("--format", "-f")
        {
            Description = "Output: 'table' (a console table), 'markdown' (a Markdown table, e.g. for a README) or 'json' (machine-readable)",
            DefaultValueFactory = _ => "table",
        };
        o.AcceptOnlyFromAmong("table", "json", "markdown");
        return o;
    }

    public static Option<string[]> Config() => new("--config", "-c")
    {
        Description = "A Hugging Face config.json (or its folder, or a shipped name: " + string.Join(", ", ShippedConfigs.Names)
            + "). Repeat for several models. Without it the paper's own models are used",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Plot(string what) => new("--plot")
    {
        Description = $"Also write an SVG chart of {what} to this file (written to a temporary file, then renamed)",
    };

    public static CostFormat GetFormat(ParseResult p, Option<string> o) => p.GetValue(o) switch
    {
        "json" => CostFormat.Json,
        "markdown" => CostFormat.Markdown,
        _ => CostFormat.Table,
    };

    /// <summary>The configs named by --config, or the shipped defaults, paired with their shipped key (null for a user file).</summary>
    public static IReadOnlyList<(ArchConfig Config, string? Key)> Configs(ParseResult p, Option<string[]> o, params string[] defaults)
    {
        string[] given = p.GetValue(o) ?? [];
        var names = given.Length > 0 ? given : defaults;
        return names.Select(n =>
        {
            var c = ShippedConfigs.Resolve(n);
            string? key = c.Source.StartsWith("shipped:", StringComparison.Ordinal) ? c.Source["shipped:".Length..] : null;
            return (c, key);
        }).ToArray();
    }
}
