using System.Runtime.InteropServices;

namespace DeepSeekSharp.Numerics;

/// <summary>
/// Native memory for data that is streamed end to end on every decode step (resident weights, the bandwidth probe's
/// buffer). On Linux it is an anonymous mapping aligned to 2 MiB and marked MADV_HUGEPAGE, so the kernel backs it with
/// transparent 2 MiB pages where it can: a decode step reads a gigabyte or more, which with 4 KiB pages is a quarter
/// of a million TLB entries per step, each miss a page walk (two-dimensional under a hypervisor). Measured on the dev
/// machine (1 GiB, 2 threads, AVX-512 sum): 58 GB/s with 2 MiB pages, 46 GB/s with 4 KiB anonymous pages, 43 GB/s
/// through a memory-mapped file. Elsewhere (or if the mapping fails) it is plain 4 KiB-aligned native memory.
/// The memory is zero-filled on first touch (fresh mapping, <see cref="ZeroFilled"/>) or uninitialised (fallback); the
/// owner fills it. A buffer not disposed is freed by its finalizer.
/// </summary>
public sealed unsafe partial class LargePageBuffer : IDisposable
{
    /// <summary>Transparent huge page size on x86-64 and arm64 Linux.</summary>
    public const long HugePageBytes = 2L << 20;

    private byte* _mapBase;   // start of the mapping (munmap), or null for the fallback
    private nuint _mapLength; // bytes mapped
    private bool _disposed;

    /// <summary>First byte, 2 MiB-aligned when <see cref="HugePagesAdvised"/>.</summary>
    public byte* Pointer { get; private set; }
    public long Length { get; }
    /// <summary>Whether the kernel was asked for 2 MiB pages (it may still back some with 4 KiB ones).</summary>
    public bool HugePagesAdvised { get; }
    /// <summary>Whether the memory is a fresh anonymous mapping (reads as zeros until written).</summary>
    public bool ZeroFilled => _mapBase is not null;

    private readonly bool _pressure; // whether the GC was told of the native bytes (AddMemoryPressure)

    /// <param name="length">Bytes.</param>
    /// <param name="reportToGc">
    /// Tell the GC of the native bytes (for buffers left to the finalizer, such as a latent cache's). Off for buffers
    /// disposed at once: the pressure of a 512 MiB bandwidth probe set off full collections inside the next decode
    /// round (measured: the first and last of eight 8-token rounds 0.19 s against 0.155 s, FP8 moonlight 4 layers).
    /// </param>
    public LargePageBuffer(long length, bool reportToGc = false)
    {
        if (length <= 0) throw new ArgumentOutOfRangeException(nameof(length), length, "buffer length must be positive");
        Length = length;
        if (OperatingSystem.IsLinux() && IntPtr.Size == 8)
        {
            nuint len = (nuint)(length + HugePageBytes); // room to align the start to 2 MiB
            nint p = mmap(0, len, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (p != -1 && p != 0)
            {
                _mapBase = (byte*)p;
                _mapLength = len;
                Pointer = (byte*)(((long)p + HugePageBytes - 1) & ~(HugePageBytes - 1));
                HugePagesAdvised = madvise((nint)Pointer, (nuint)((length + HugePageBytes - 1) & ~(HugePageBytes - 1)), MadvHugePage) == 0;
            }
        }
        if (Pointer is null) Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
        if (reportToGc) GC.AddMemoryPressure(length);
        _pressure = reportToGc;
    }

    ~LargePageBuffer() => Free();

    public Span<byte> Span(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || length < 0 || offset + length > Length) throw new ArgumentOutOfRangeException(nameof(offset));
        return new Span<byte>(Pointer + offset, length);
    }

    /// <summary>
    /// Bytes of this process's anonymous memory backed by transparent huge pages (AnonHugePages in
    /// /proc/self/smaps_rollup), or -1 where the kernel does not say.
    /// </summary>
    public static long ProcessHugePageBytes()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return -1;
            foreach (var line in File.ReadLines("/proc/self/smaps_rollup"))
            {
                if (!line.StartsWith("AnonHugePages:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length >= 2 && long.TryParse(parts[1], out long kb) ? kb * 1024 : -1;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return -1;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_disposed || Pointer is null) return;
        _disposed = true;
        if (_mapBase is not null) munmap((nint)_mapBase, _mapLength);
        else NativeMemory.AlignedFree(Pointer);
        if (_pressure) GC.RemoveMemoryPressure(Length);
        _mapBase = null;
        Pointer = null;
    }

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20, MadvHugePage = 14;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint addr, nuint length, int advice);
}
