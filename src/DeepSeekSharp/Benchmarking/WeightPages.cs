using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Benchmarking;

/// <summary>
/// Maps every page of a memory-mapped checkpoint into the process before a measurement. A decode step reads the
/// experts its router picks; the first touch of each 4 KiB page of a mapped file is a page fault (a kernel entry
/// even when the file is in the page cache), so a short benchmark would otherwise time the faults of experts
/// touched for the first time rather than the steady state of a long-running server.
/// </summary>
public static class WeightPages
{
    /// <summary>Reads one byte of every page of every tensor; returns the bytes covered.</summary>
    public static long Touch(Checkpoint checkpoint)
    {
        long total = 0;
        int sink = 0;
        foreach (var name in checkpoint.TensorNames)
        {
            var bytes = checkpoint.GetBytes(name);
            for (int i = 0; i < bytes.Length; i += 4096) sink += bytes[i];
            if (bytes.Length > 0) sink += bytes[^1];
            total += bytes.Length;
        }
        GC.KeepAlive(sink);
        return total;
    }
}
