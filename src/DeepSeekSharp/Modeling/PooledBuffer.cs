using System.Buffers;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// Scratch rented from <see cref="ArrayPool{T}.Shared"/> for one call of a forward pass and returned on Dispose, so
/// the decode loop does not allocate and concurrent sequences sharing a Transformer never share scratch.
/// The contents are not cleared: every user writes before reading (or clears).
/// </summary>
internal readonly struct PooledBuffer<T> : IDisposable
{
    public readonly T[] Array;
    public readonly int Length;

    public PooledBuffer(int length)
    {
        Array = ArrayPool<T>.Shared.Rent(Math.Max(1, length));
        Length = length;
    }

    public Span<T> Span => Array.AsSpan(0, Length);

    public void Dispose() => ArrayPool<T>.Shared.Return(Array);
}
