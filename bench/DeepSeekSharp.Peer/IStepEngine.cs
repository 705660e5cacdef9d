namespace DeepSeekSharp.Peer;

/// <summary>
/// The little both engines must do for the comparison: run a prompt from an empty cache, then one token at a time,
/// each call returning the logits (vocab) of the last position.
/// </summary>
public interface IStepEngine : IDisposable
{
    string Name { get; }
    int VocabSize { get; }

    /// <summary>Empties the cache and runs the prompt; logits of its last position.</summary>
    float[] Prefill(ReadOnlySpan<int> prompt);

    /// <summary>Appends one token; its logits.</summary>
    float[] Step(int token);
}
