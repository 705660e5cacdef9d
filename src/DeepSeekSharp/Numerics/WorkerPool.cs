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
/// dynamically (an atomic counter), so a worker slowed by a neighbour process takes fewer chunks; it allocates
/// nothing per call. A call made while the pool is busy (nested, or from a second thread) runs inline on the
/// caller, so the pool never deadlocks.
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
    private int _chunk;
    private int _next;
    private int _remaining;
    private Exception? _error;

    public WorkerPool(int threads) => SetThreads(threads);

    /// <summary>Participants in a parallel loop, the calling thread included.</summary>
    public int Threads { get; private set; }

    public static int DefaultThreads()
    {
        var env = Environment.GetEnvironmentVariable("DSS_THREADS");
        if (!string.IsNullOrEmpty(env) && int.TryParse(env, out int n) && n > 0) return n;
        return Environment.ProcessorCount;
    }

    /// <summary>Stops the current workers and starts threads - 1 new ones. Not to be called during a loop.</summary>
    public void SetThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "at least one thread");
        lock (_gate)
        {
            StopWorkers();
            var ws = new Worker[threads - 1];
            for (int i = 0; i < ws.Length; i++) ws[i] = new Worker(this, i);
            _workers = ws;
            Threads = threads;
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
        var workers = _workers;
        if (count == 1 || workers.Length == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            body(0, count, state);
            return;
        }
        try
        {
            int participants = workers.Length + 1;
            _body = body;
            _state = state;
            _count = count;
            _chunk = Math.Max(1, count / (participants * 4));
            _next = 0;
            _error = null;
            int active = Math.Min(workers.Length, count - 1);
            Volatile.Write(ref _remaining, active);
            for (int i = 0; i < active; i++) workers[i].Release();
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

    private static void Trampoline<T>(int start, int end, void* state) where T : struct, IRangeBody
        => Unsafe.AsRef<T>(state).Run(start, end);

    private void RunChunks()
    {
        int count = _count, chunk = _chunk;
        var body = _body;
        void* state = _state;
        while (true)
        {
            int start = Interlocked.Add(ref _next, chunk) - chunk;
            if (start >= count) return;
            body(start, Math.Min(count, start + chunk), state);
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
        private readonly SemaphoreSlim _go = new(0);
        private readonly Thread _thread;
        private volatile bool _stop;

        public Worker(WorkerPool pool, int index)
        {
            _pool = pool;
            _thread = new Thread(Loop) { IsBackground = true, Name = $"dss-worker-{index}" };
            _thread.Start();
        }

        public void Release() => _go.Release();

        public void Stop()
        {
            _stop = true;
            _go.Release();
            _thread.Join();
            _go.Dispose();
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                if (_stop) return;
                _pool.WorkerRun();
            }
        }
    }
}
