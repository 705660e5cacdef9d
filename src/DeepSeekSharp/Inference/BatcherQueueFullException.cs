namespace DeepSeekSharp.Inference;

/// <summary>The batcher's wait queue is full: the request was refused (HTTP 429); retry later.</summary>
public sealed class BatcherQueueFullException : DssException
{
    public BatcherQueueFullException(int maxQueue)
        : base($"server busy: {maxQueue} requests are already waiting for a slot; retry later") => MaxQueue = maxQueue;

    public int MaxQueue { get; }
}
