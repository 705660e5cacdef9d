using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekSharp.Peer;

/// <summary>Where llama.cpp's native library was found: the libllama file, its mtmd companion, and which place it came from.</summary>
public sealed record LlamaCppLibrary(string LlamaPath, string? MtmdPath, string Source);

/// <summary>
/// Finds llama.cpp's native library (LLamaSharp.Backend.Cpu 0.30.0's build) without copying it into every output
/// folder. Places, first match wins: <c>DSS_LLAMA_CPP_DIR</c> (a folder holding libllama itself, or a LLamaSharp
/// <c>runtimes</c> layout); <c>runtimes/</c> next to the application; the package folder NuGet restored at build time.
/// Within a runtimes layout it takes the best AVX build this CPU runs (avx512, avx2, avx, noavx).
/// </summary>
public static class LlamaCppLocator
{
    public const string EnvVar = "DSS_LLAMA_CPP_DIR";

    /// <summary>The restored LLamaSharp.Backend.Cpu package's LLamaSharpRuntimes folder, recorded when this assembly was built.</summary>
    public static string? PackageRuntimes =>
        typeof(LlamaCppLocator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LlamaCppPackageRuntimes")?.Value is { } v && v != "/LLamaSharpRuntimes" ? v : null;

    /// <summary>The places searched in order, each as (description, folder).</summary>
    public static IReadOnlyList<(string Source, string Dir)> Places()
    {
        var places = new List<(string, string)>();
        if (Environment.GetEnvironmentVariable(EnvVar) is { Length: > 0 } env) places.Add(($"{EnvVar}={env}", env));
        places.Add(("next to the application", Path.Combine(AppContext.BaseDirectory, "runtimes")));
        if (PackageRuntimes is { } pkg) places.Add(("the restored LLamaSharp.Backend.Cpu package", pkg));
        return places;
    }

    /// <summary>The first place holding a native library this machine can use; null with every folder tried in <paramref name="tried"/>.</summary>
    public static LlamaCppLibrary? Find(IReadOnlyList<(string Source, string Dir)> places, out string tried)
    {
        var misses = new List<string>();
        foreach (var (source, dir) in places)
        {
            foreach (var candidate in Candidates(dir))
            {
                string llama = Path.Combine(candidate, LibraryFile("llama"));
                if (File.Exists(llama))
                {
                    tried = "";
                    string mtmd = Path.Combine(candidate, LibraryFile("mtmd"));
                    return new LlamaCppLibrary(llama, File.Exists(mtmd) ? mtmd : null, source);
                }
                misses.Add(llama);
            }
        }
        tried = misses.Count == 0 ? "no place to search" : string.Join(", ", misses.Distinct());
        return null;
    }

    /// <summary>Folders that may hold libllama under <paramref name="dir"/>: itself, then {rid}/native/{avx} best first.</summary>
    public static IEnumerable<string> Candidates(string dir)
    {
        yield return dir;
        string native = Path.Combine(dir, Rid(), "native");
        foreach (var avx in AvxLevels()) yield return Path.Combine(native, avx);
        yield return native;
    }

    /// <summary>The AVX builds this CPU can run, best first (none on other architectures).</summary>
    public static IEnumerable<string> AvxLevels()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64) yield break;
        if (Avx512F.IsSupported && Avx512BW.IsSupported && Avx512F.VL.IsSupported) yield return "avx512";
        if (Avx2.IsSupported && Fma.IsSupported) yield return "avx2";
        if (Avx.IsSupported) yield return "avx";
        yield return "noavx";
    }

    /// <summary>This process's portable runtime identifier as LLamaSharp names its folders: linux-x64, win-x64, osx-arm64, ...</summary>
    public static string Rid()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
    }

    internal static string LibraryFile(string name) =>
        OperatingSystem.IsWindows() ? $"{name}.dll" : OperatingSystem.IsMacOS() ? $"lib{name}.dylib" : $"lib{name}.so";
}
