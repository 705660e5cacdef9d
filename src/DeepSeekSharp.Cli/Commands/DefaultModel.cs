namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// The embedded default model: models/default next to the dss binary (copied there by the build), or in the
/// repository's models/ folder when running from a source checkout.
/// </summary>
internal static class DefaultModel
{
    public const string Name = "default";

    public static string? Directory
    {
        get
        {
            foreach (var dir in Candidates())
                if (File.Exists(Path.Combine(dir, "config.json"))) return dir;
            return null;
        }
    }

    private static IEnumerable<string> Candidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, "models", Name);
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null)
        {
            yield return Path.Combine(d.FullName, "models", Name);
            d = d.Parent;
        }
    }
}
