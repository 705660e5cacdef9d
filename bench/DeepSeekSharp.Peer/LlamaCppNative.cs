using System.Text;
using LLama.Exceptions;
using LLama.Native;

namespace DeepSeekSharp.Peer;

/// <summary>
/// Loads llama.cpp's native library (LLamaSharp.Backend.Cpu picks the AVX level of this CPU) once, and keeps its log:
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

    /// <summary>True when the native library loaded; otherwise <paramref name="reason"/> says why.</summary>
    public static bool TryLoad(out string reason)
    {
        lock (Gate)
        {
            if (!_tried)
            {
                _tried = true;
                try
                {
                    NativeLibraryConfig.All.WithLogCallback((level, message) =>
                    {
                        if (level >= LLamaLogLevel.Warning || Verbose)
                        {
                            lock (Log) Log.Append(message);
                            if (Verbose) Console.Error.Write(message);
                        }
                    });
                    NativeApi.llama_max_devices(); // forces the load
                }
                catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or RuntimeError or BadImageFormatException or EntryPointNotFoundException or InvalidOperationException)
                {
                    _failure = $"{e.GetType().Name}: {e.Message}";
                }
            }
            reason = _failure ?? "";
            return _failure is null;
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
