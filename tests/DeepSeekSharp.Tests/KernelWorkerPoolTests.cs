using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

public class KernelWorkerPoolTests
{
    private unsafe struct MarkBody : IRangeBody
    {
        public int* Hits;

        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    private struct NestedBody : IRangeBody
    {
        public WorkerPool Pool;
        public readonly void Run(int start, int end) => Pool.ParallelFor(3, new MarkNothing());
    }

    private struct MarkNothing : IRangeBody
    {
        public readonly void Run(int start, int end) { }
    }

    private struct ThrowBody : IRangeBody
    {
        public readonly void Run(int start, int end) => throw new InvalidOperationException("boom");
    }

    [Fact]
    public unsafe void EveryItemRunsOnceAcrossManyCalls()
    {
        using var pool = new WorkerPool(4);
        foreach (int count in new[] { 1, 2, 3, 5, 64, 1000 })
        {
            var hits = new int[count];
            fixed (int* h = hits)
                for (int rep = 0; rep < 50; rep++) pool.ParallelFor(count, new MarkBody { Hits = h });
            Assert.All(hits, v => Assert.Equal(50, v));
        }
    }

    [Fact]
    public void NestedCallsRunInlineAndErrorsReachTheCaller()
    {
        using var pool = new WorkerPool(2);
        pool.ParallelFor(8, new NestedBody { Pool = pool });
        Assert.Throws<AggregateException>(() => pool.ParallelFor(16, new ThrowBody()));
        pool.ParallelFor(8, new MarkNothing()); // still usable after a failure
    }

    [Fact]
    public void ThreadCountCanBeChanged()
    {
        using var pool = new WorkerPool(1);
        Assert.Equal(1, pool.Threads);
        pool.SetThreads(3);
        Assert.Equal(3, pool.Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.SetThreads(0));
    }

    /// <summary>
    /// Loops in quick succession (workers still spinning), after pauses longer than the spin (workers blocked), and
    /// with fewer items than workers (some workers sit a loop out): every item runs exactly once each time.
    /// </summary>
    [Fact]
    public unsafe void SpinningAndBlockedWorkersBothPickUpLoops()
    {
        using var pool = new WorkerPool(4);
        int* hits = stackalloc int[64];
        for (int round = 0; round < 300; round++)
        {
            int count = round % 7 == 0 ? 2 : 64;
            for (int i = 0; i < 64; i++) hits[i] = 0;
            pool.ParallelFor(count, new MarkBody { Hits = hits });
            for (int i = 0; i < 64; i++) Assert.Equal(i < count ? 1 : 0, hits[i]);
            if (round % 25 == 0) Thread.Sleep(2 + WorkerPool.SpinMicroseconds / 1000);
        }
    }
}

public class KernelWorkerPoolResizeTests
{
    private struct Count : DeepSeekSharp.Numerics.IRangeBody
    {
        public int[] Hits;
        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    [Fact]
    public async Task ResizingWhileLoopsRunNeitherHangsNorLosesWork()
    {
        using var pool = new DeepSeekSharp.Numerics.WorkerPool(2);
        using var stop = new CancellationTokenSource();
        long loops = 0;
        var runner = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var hits = new int[64];
                pool.ParallelFor(64, new Count { Hits = hits });
                Assert.All(hits, h => Assert.Equal(1, h));
                Interlocked.Increment(ref loops);
            }
        });
        // On a loaded machine the runner may start late: resize only once its loops are running.
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref loops) > 0, TimeSpan.FromSeconds(30)), "the loop runner never started");
        long before = Interlocked.Read(ref loops);
        for (int i = 0; i < 5000 && (i < 50 || Interlocked.Read(ref loops) < before + 50); i++) pool.SetThreads(1 + i % 3);
        stop.Cancel();
        await runner.WaitAsync(TimeSpan.FromSeconds(30)); // TimeoutException if a loop hung during a resize
        Assert.True(Interlocked.Read(ref loops) > 0);
    }
}
