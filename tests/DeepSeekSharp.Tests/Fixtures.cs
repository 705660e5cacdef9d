namespace DeepSeekSharp.Tests;

/// <summary>Locates ../shared (fixtures, tokenizers, corpora) relative to the repository root.</summary>
public static class Fixtures
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    public static string Dir(string name) => Path.Combine(Shared, "fixtures", name);

    private static string FindRepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "DeepSeekSharp.slnx"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root (DeepSeekSharp.slnx) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A fresh temporary folder, deleted when disposed.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("dss-test-").FullName;
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
