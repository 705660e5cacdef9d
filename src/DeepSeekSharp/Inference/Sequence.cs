using System.Diagnostics;
using System.Threading.Channels;

namespace DeepSeekSharp.Inference;

/// <summary>
/// One request inside a <see cref="Batcher"/>: its prompt, sampler and, once admitted, its own latent cache.
/// The batcher's loop is the only writer of its state; callers read tokens from <see cref="Output"/>.
/// </summary>
internal sealed class Sequence
{
    public Sequence(int[] prompt, SamplingOptions options, Sampler sampler, int capacity, long bytes, GenerationStats stats)
    {
        Prompt = prompt;
        Options = options;
        Sampler = sampler;
        Capacity = capacity;
        Bytes = bytes;
        Stats = stats;
    }

    public int[] Prompt { get; }
    public SamplingOptions Options { get; }
    public Sampler Sampler { get; }

    /// <summary>Tokens its cache is allocated for: prompt + new tokens, at most the context.</summary>
    public int Capacity { get; }

    /// <summary>Bytes its cache takes (what admission charges against the budget).</summary>
    public long Bytes { get; }

    public GenerationStats Stats { get; }

    /// <summary>Sampled tokens as they come; completed at the end (with the error, if one ended it).</summary>
    public Channel<int> Output { get; } = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Where it waits in the queue; null once admitted (or removed).</summary>
    public LinkedListNode<Sequence>? QueueNode { get; set; }

    /// <summary>Its cache while it is active (null before admission and after it ended).</summary>
    public LatentCache? Cache { get; set; }

    /// <summary>Prompt tokens already in the cache.</summary>
    public int Prefilled { get; set; }

    /// <summary>The last sampled token, which the next step feeds to the model.</summary>
    public int PendingToken { get; set; } = -1;

    /// <summary>Set by the caller (cancellation, disconnect); the loop drops the sequence before its next step.</summary>
    public volatile bool CancelRequested;

    /// <summary>Set once it ended (by the loop, or by the caller while it was still queued).</summary>
    public bool Finished { get; set; }

    public Stopwatch Clock { get; } = new();

    public bool IsPrefilling => Prefilled < Prompt.Length;

    /// <summary>MTP speculative decoding state (null when off): the drafter, the tokens in the main cache, and this step's draft.</summary>
    public MtpDrafter? Drafter { get; set; }
    public List<int> History { get; } = new();
    public int Draft { get; set; } = -1;
    public float[]? DraftQ { get; set; }
}
