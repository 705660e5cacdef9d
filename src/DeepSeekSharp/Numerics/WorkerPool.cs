using System.Runtime.CompilerServices;

namespace DeepSeekSharp.Numerics;

/// <summary>A body of a parallel loop: runs items [start, end). Implemented by small state structs.</summary>
public interface IRangeBody
{
    void Run(int start, int end);
}

/// <summary>
/// A persistent pool of worker threads for the kernels. Threads are created once (Threads - 1 workers; the
/// calling thread is the last participant). <see cref="ParallelFor{T}"/> hands out chunks of [0, count)
/// dynamically (an atomic counter; chunks shrink towards the end), so a worker slowed by a neighbour process takes
/// fewer chunks; it allocates nothing per call. A call made while the pool is busy (nested, or from a second thread) runs inline on the
/// caller, so the pool never deadlocks. After a loop a worker spins for <see cref="SpinMicroseconds"/> watching for
/// the next one before it blocks, so the many short loops of a decoded token do not each pay a thread wake-up.
/// Thread count: <c>DSS_THREADS</c> in the environment, else <see cref="Environment.ProcessorCount"/>;
/// <see cref="SetThreads"/> changes it.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    private static readonly Lazy<WorkerPool> LazyShared = new(() => new WorkerPool(DefaultThreads()));

    /// <summary>The pool the kernels use.</summary>
    public static WorkerPool Shared => LazyShared.Value;

    private readonly object _gate = new();
    private Worker[] _workers = [];
    private int _busy;

    // The job in flight (written by the caller before the workers are released).
    private delegate*<int, int, void*, void> _body;
    private void* _state;
    private int _count;
    private int _participants;
    private int _next;
    private int _remaining;
    // Loops started so far (times 1024) plus the workers taking part in the latest (indices [0, active)), in one
    // word so a worker reads both at once; a worker seeing it change joins the new loop if its index is below active.
    private long _gen;
    private const int ActiveBits = 10;
    private Exception? _error;

    /// <summary>
    /// How long an idle worker watches for the next loop before it blocks: <c>DSS_SPIN_US</c> in the environment
    /// (0: block at once, for a machine crowded with other processes), else 50 microseconds.
    /// </summary>
    public static int SpinMicroseconds { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("DSS_SPIN_US"), out int us) && us >= 0 ? us : 50;
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    public WorkerPool(int threads) => SetThreads(threads);

    /// <summary>Participants in a parallel loop, the calling thread included.</summary>
    public int Threads { get; private set; }

    public static int DefaultThreads()
    {
        var env = Environment.GetEnvironmentVariable("DSS_THREADS");
        if (!string.IsNullOrEmpty(env) && int.TryParse(env, out int n) && n > 0) return n;
        return Environment.ProcessorCount;
    }

    /// <summary>
    /// Stops the current workers and starts threads - 1 new ones. Safe while other threads run loops: it waits until
    /// no loop holds the workers (a loop that starts meanwhile runs on its calling thread alone).
    /// </summary>
    public void SetThreads(int threads)
    {
        if (threads < 1 || threads > 1 << ActiveBits) throw new ArgumentOutOfRangeException(nameof(threads), $"1 to {1 << ActiveBits} threads");
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) spin.SpinOnce();
        try
        {
            lock (_gate)
            {
                StopWorkers();
                var ws = new Worker[threads - 1];
                for (int i = 0; i < ws.Length; i++) ws[i] = new Worker(this, i);
                _workers = ws;
                Threads = threads;
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    public void Dispose()
    {
        lock (_gate) StopWorkers();
    }

    private void StopWorkers()
    {
        foreach (var w in _workers) w.Stop();
        _workers = [];
    }

    /// <summary>Runs body.Run over chunks of [0, count), in parallel; returns when all are done.</summary>
    public void ParallelFor<T>(int count, T body) where T : struct, IRangeBody
    {
        // body is a local of this frame: its address is stable until the loop has finished.
        ParallelFor(count, &Trampoline<T>, Unsafe.AsPointer(ref body));
    }

    /// <summary>Runs body(start, end, state) over chunks of [0, count) in parallel; returns when all are done.</summary>
    public void ParallelFor(int count, delegate*<int, int, void*, void> body, void* state)
    {
        if (count <= 0) return;
        if (count == 1 || _workers.Length == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            body(0, count, state);
            return;
        }
        // Read the workers only while holding the pool: SetThreads swaps them under the same flag.
        var workers = _workers;
        if (workers.Length == 0)
        {
            Volatile.Write(ref _busy, 0);
            body(0, count, state);
            return;
        }
        try
        {
            int participants = workers.Length + 1;
            _body = body;
            _state = state;
            _count = count;
            _participants = participants;
            _next = 0;
            _error = null;
            int active = Math.Min(workers.Length, count - 1);
            Volatile.Write(ref _remaining, active);
            Publish(active);
            for (int i = 0; i < active; i++) workers[i].Wake();
            try { RunChunks(); }
            catch (Exception e) { Fail(e); }
            // Wait even after a failure: the workers may still be reading the caller's state.
            var spin = new SpinWait();
            while (Volatile.Read(ref _remaining) != 0) spin.SpinOnce(sleep1Threshold: -1);
            if (_error is { } err) throw new AggregateException("a parallel kernel failed", err);
        }
        finally
        {
            _body = null;
            _state = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Starts a new loop generation with the given participants (a full fence: the job is visible first).</summary>
    private void Publish(int active) => Interlocked.Exchange(ref _gen, ((_gen >> ActiveBits) + 1 << ActiveBits) | (uint)active);

    private static void Trampoline<T>(int start, int end, void* state) where T : struct, IRangeBody
        => Unsafe.AsRef<T>(state).Run(start, end);

    private void RunChunks()
    {
        int count = _count, participants = _participants;
        var body = _body;
        void* state = _state;
        while (true)
        {
            // Guided: each chunk 3/4 of an even share of what is left (3/8 with two participants), down to single
            // items, so chunks shrink towards the end and the participants finish close together; fixed chunks of an
            // eighth left a core idle for up to half a chunk (measured 1.0-1.6 ms of core time per decoded token). A
            // floor of 1/(16 participants) of the loop left the last MoE chunks at 2-3 items (0.5-1 MB of FP8 weights):
            // single items measured 0.2-0.5% faster decode steps; chunks of 3/8 rather than 1/4 of what is left (fewer
            // chunks, each a fresh stream for the prefetchers) 0.5% faster over four quiet runs (-1.2% to +0.5%) and
            // the same over four contended ones (-0.4% to +0.4%), while a whole even share (1/2) lost up to 3.6% when
            // a neighbour took a core (FP8 moonlight-16b-a3b, 4 layers, 2 threads; steps of both rules alternating in
            // one process).
            int start = Volatile.Read(ref _next);
            if (start >= count) return;
            int size = (int)Math.Max(1, (count - start) * 3L / (4L * participants));
            if (Interlocked.CompareExchange(ref _next, start + size, start) != start) continue;
            body(start, Math.Min(count, start + size), state);
        }
    }

    /// <summary>Records the first error and hands out no further chunks.</summary>
    private void Fail(Exception e)
    {
        Interlocked.CompareExchange(ref _error, e, null);
        Volatile.Write(ref _next, int.MaxValue / 2);
    }

    private void WorkerRun()
    {
        try { RunChunks(); }
        catch (Exception e) { Fail(e); }
        finally { Interlocked.Decrement(ref _remaining); }
    }

    private sealed class Worker
    {
        private readonly WorkerPool _pool;
        private readonly int _index;
        private readonly SemaphoreSlim _go = new(0);
        private readonly Thread _thread;
        private volatile bool _stop;
        private int _sleeping; // 1 while blocked (or about to block) on _go
        private long _seen;    // the last loop generation this worker has looked at

        public Worker(WorkerPool pool, int index)
        {
            _pool = pool;
            _index = index;
            _seen = Volatile.Read(ref pool._gen);
            _thread = new Thread(Loop) { IsBackground = true, Name = $"dss-worker-{index}" };
            _thread.Start();
        }

        /// <summary>Called after a new generation is published: releases the worker if it is blocked.</summary>
        public void Wake()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _go.Release();
        }

        public void Stop()
        {
            _stop = true;
            _pool.Publish(0);
            Wake();
            _thread.Join();
            _go.Dispose();
        }

        private void Loop()
        {
            while (true)
            {
                long gen = WaitForGeneration();
                if (_stop) return;
                _seen = gen;
                if (_index < (int)(gen & ((1 << ActiveBits) - 1))) _pool.WorkerRun();
            }
        }

        /// <summary>Spins briefly for a new loop generation, then blocks until woken; returns the generation seen.</summary>
        private long WaitForGeneration()
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            while (System.Diagnostics.Stopwatch.GetTimestamp() - start < SpinTicks)
            {
                long g = Volatile.Read(ref _pool._gen);
                if (g != _seen) return g;
                Thread.SpinWait(20);
            }
            while (true)
            {
                Volatile.Write(ref _sleeping, 1);
                Interlocked.MemoryBarrier();
                long g = Volatile.Read(ref _pool._gen);
                if (g != _seen)
                {
                    // A loop started meanwhile: cancel the sleep, or, if the caller already claimed it, take its release.
                    if (Interlocked.Exchange(ref _sleeping, 0) == 0) _go.Wait();
                    return g;
                }
                _go.Wait();
                g = Volatile.Read(ref _pool._gen);
                if (g != _seen) return g;
            }
        }
    }
}
