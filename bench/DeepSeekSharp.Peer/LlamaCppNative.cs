using System.Text;
using LLama.Exceptions;
using LLama.Native;

namespace DeepSeekSharp.Peer;

/// <summary>
/// Loads llama.cpp's native library once, from where <see cref="LlamaCppLocator"/> finds it, and keeps its log:
/// warnings and errors are collected so a failed model load can say why.
/// </summary>
public static class LlamaCppNative
{
    private static readonly object Gate = new();
    private static readonly StringBuilder Log = new();
    private static bool _tried;
    private static string? _failure;

    /// <summary>Echo llama.cpp's info-level log to stderr (set before the first use).</summary>
    public static bool Verbose { get; set; }

    /// <summary>The library that loaded (null before a successful <see cref="TryLoad"/>).</summary>
    public static LlamaCppLibrary? Loaded { get; private set; }

    /// <summary>True when the native library loaded; otherwise <paramref name="reason"/> says why.</summary>
    public static bool TryLoad(out string reason)
    {
        lock (Gate)
        {
            if (!_tried)
            {
                _tried = true;
                _failure = Load();
            }
            reason = _failure ?? "";
            return _failure is null;
        }
    }

    /// <summary>Throws a <see cref="DssException"/> naming why when the native library cannot load.</summary>
    public static void EnsureLoaded()
    {
        if (!TryLoad(out var reason)) throw new DssException($"llama.cpp's native library did not load: {reason}");
    }

    private static string? Load()
    {
        var lib = LlamaCppLocator.Find(LlamaCppLocator.Places(), out var tried);
        if (lib is null)
            return $"no {LlamaCppLocator.Rid()} build of libllama found (looked for {tried}); restore LLamaSharp.Backend.Cpu 0.30.0 " +
                   $"or set {LlamaCppLocator.EnvVar} to a folder holding libllama";
        try
        {
            NativeLibraryConfig.All.WithLibrary(lib.LlamaPath, lib.MtmdPath).WithLogCallback((level, message) =>
            {
                if (level >= LLamaLogLevel.Warning || Verbose)
                {
                    lock (Log) Log.Append(message);
                    if (Verbose) Console.Error.Write(message);
                }
            });
            NativeApi.llama_max_devices(); // forces the load
            Loaded = lib;
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or RuntimeError or BadImageFormatException or EntryPointNotFoundException or InvalidOperationException)
        {
            var inner = e is TypeInitializationException { InnerException: { } i } ? i : e;
            return $"{lib.LlamaPath} (from {lib.Source}) failed to load: {inner.GetType().Name}: {inner.Message}";
        }
    }

    /// <summary>The log collected since the last call (warnings and errors unless Verbose).</summary>
    public static string TakeLog()
    {
        lock (Log)
        {
            var s = Log.ToString();
            Log.Clear();
            return s;
        }
    }
}
