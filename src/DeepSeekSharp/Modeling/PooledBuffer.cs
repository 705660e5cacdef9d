using System.Buffers;
using System.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// Scratch for one call of a forward pass, returned on Dispose, so the decode loop does not allocate and concurrent
/// sequences sharing a Transformer never share scratch. Arrays up to <see cref="ThreadScratch{T}.MaxLength"/> come from
/// a cache of the calling thread (<see cref="ThreadScratch{T}"/>), larger ones from <see cref="ArrayPool{T}.Shared"/>.
/// The contents are not cleared: every user writes before reading (or clears). Rent and dispose on the same thread
/// (a `using` in synchronous code).
/// </summary>
internal readonly struct PooledBuffer<T> : IDisposable
{
    public readonly T[] Array;
    public readonly int Length;

    public PooledBuffer(int length)
    {
        int n = Math.Max(1, length);
        Array = n <= ThreadScratch<T>.MaxLength ? ThreadScratch<T>.Rent(n) : ArrayPool<T>.Shared.Rent(n);
        Length = length;
    }

    public Span<T> Span => Array.AsSpan(0, Length);

    public void Dispose()
    {
        if (Array.Length <= ThreadScratch<T>.MaxLength) ThreadScratch<T>.Return(Array);
        else ArrayPool<T>.Shared.Return(Array);
    }
}

/// <summary>
/// Per-thread cache of scratch arrays, power-of-two lengths from 16 to <see cref="MaxLength"/>, a few per length.
/// ArrayPool.Shared keeps one array per length per thread and the rest per core, so a second array of a length in use
/// came from the stack of the core the thread ran on: after the OS moved the thread to the other core, a decode step
/// found that stack empty and allocated (a test saw 152 bytes in 8 steps once in a few runs).
/// </summary>
internal static class ThreadScratch<T>
{
    /// <summary>Longest array cached per thread (2^20 elements); longer ones come from ArrayPool.Shared.</summary>
    public const int MaxLength = 1 << 20;
    private const int MinShift = 4, Slots = 8;

    [ThreadStatic] private static T[]?[]? t_slots; // (bucket, slot)
    [ThreadStatic] private static int[]? t_counts; // arrays held per bucket

    private static int Bucket(int n) => Math.Max(0, BitOperations.Log2((uint)n - 1) + 1 - MinShift);

    public static T[] Rent(int n)
    {
        int b = Bucket(n);
        var counts = t_counts;
        if (counts is not null && counts[b] > 0)
        {
            int i = b * Slots + --counts[b];
            var a = t_slots![i]!;
            t_slots[i] = null;
            return a;
        }
        return new T[1 << (b + MinShift)];
    }

    public static void Return(T[] a)
    {
        int b = Bucket(a.Length);
        if (a.Length != 1 << (b + MinShift)) return; // not one of ours
        var counts = t_counts ??= new int[Bucket(MaxLength) + 1];
        var slots = t_slots ??= new T[]?[(Bucket(MaxLength) + 1) * Slots];
        if (counts[b] < Slots) slots[b * Slots + counts[b]++] = a;
    }
}
