namespace DeepSeekSharp;

/// <summary>
/// An error caused by the user's input (a bad path, a corrupt file, a config we cannot run).
/// The CLI prints its message and exits non-zero; it never means a bug in the engine.
/// </summary>
public class DssException : Exception
{
    public DssException(string message) : base(message) { }
    public DssException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A checkpoint file (safetensors, index, config) that is malformed or inconsistent.</summary>
public sealed class CheckpointFormatException : DssException
{
    public string File { get; }
    public string? Tensor { get; }

    public CheckpointFormatException(string file, string? tensor, string problem)
        : base(tensor is null ? $"{file}: {problem}" : $"{file}: tensor '{tensor}': {problem}")
    {
        File = file;
        Tensor = tensor;
    }
}
