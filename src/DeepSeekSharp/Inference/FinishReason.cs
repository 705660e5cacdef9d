namespace DeepSeekSharp.Inference;

/// <summary>Why a generation ended (OpenAI's names: stop, length; plus cancelled).</summary>
public enum FinishReason
{
    /// <summary>An end-of-sequence token, a stop token id or a stop string.</summary>
    Stop,
    /// <summary>max new tokens reached, or the context is full.</summary>
    Length,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

public static class FinishReasons
{
    public static string ToOpenAi(this FinishReason r) => r switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => "cancelled",
    };
}
