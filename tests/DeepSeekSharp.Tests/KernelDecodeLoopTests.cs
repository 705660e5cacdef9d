using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

/// <summary>The allocation-free decode entry (Transformer.ForwardLast) against the public forward.</summary>
public class KernelDecodeLoopTests
{
    [Theory]
    [InlineData("v3-tiny")]
    [InlineData("v3-fp8-tiny")]
    [InlineData("v2-lite-tiny")]
    public void ForwardLastEqualsForwardBitForBit(string model)
    {
        using var m = Transformer.Load(Fixtures.Dir(model));
        int V = m.Config.VocabSize;
        int[] prompt = [3, 17, 5, 42, 8];
        var a = m.NewCache(16);
        var b = m.NewCache(16);
        var expect = m.Forward(prompt, 0, a, lastOnly: true);
        var logits = new float[V + 3]; // longer than the vocabulary: only the first V are written
        logits[V] = 7f;
        m.ForwardLast(prompt, b, logits);
        Assert.Equal(a.Length, b.Length);
        Assert.True(expect.AsSpan().SequenceEqual(logits.AsSpan(0, V)), "prefill logits differ");
        Assert.Equal(7f, logits[V]);
        for (int step = 0; step < 4; step++)
        {
            int next = (step * 7 + 1) % V;
            expect = m.Forward([next], a.Length, a, lastOnly: true);
            m.ForwardLast([next], b, logits);
            Assert.True(expect.AsSpan().SequenceEqual(logits.AsSpan(0, V)), $"decode step {step} logits differ");
        }
    }

    [Fact]
    public void DecodeStepAllocatesNothing()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var cache = m.NewCache(64);
        var logits = new float[m.Config.VocabSize];
        int[] tok = [1];
        // Warm the JIT and the pools. Scratch that grows with the context (the latent cache read for attention) takes
        // a new pooled array when its size crosses a power of two: positions 36..44 stay within one size class.
        for (int i = 0; i < 36; i++) m.ForwardLast(tok, cache, logits);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 8; i++) m.ForwardLast(tok, cache, logits);
        long per = (GC.GetAllocatedBytesForCurrentThread() - before) / 8;
        Assert.True(per == 0, $"a decode step allocated {per} bytes on the calling thread");
    }

    [Fact]
    public void ScratchOfOneLengthInUseTwiceIsReusedWithoutAllocating()
    {
        // Two arrays of one length at once (as Block.Forward's h and a): both come back from the thread's cache.
        float[] first, second;
        using (var a = new PooledBuffer<float>(100))
        using (var b = new PooledBuffer<float>(100))
        {
            first = a.Array;
            second = b.Array;
            Assert.NotSame(first, second);
            Assert.Equal(128, a.Array.Length);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            using var a = new PooledBuffer<float>(100);
            using var b = new PooledBuffer<float>(97);
            Assert.True(ReferenceEquals(a.Array, first) || ReferenceEquals(a.Array, second));
            Assert.True(ReferenceEquals(b.Array, first) || ReferenceEquals(b.Array, second));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        using (var big = new PooledBuffer<float>(ThreadScratch<float>.MaxLength + 1)) // past the thread cache: ArrayPool
            Assert.True(big.Array.Length > ThreadScratch<float>.MaxLength);
    }

    [Fact]
    public void WeightPagesTouchCoversEveryTensor()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-fp8-tiny"));
        var ck = m.Weights.Checkpoint;
        long expect = ck.TensorNames.Sum(n => (long)ck.GetBytes(n).Length);
        Assert.True(expect > 0);
        Assert.Equal(expect, DeepSeekSharp.Benchmarking.WeightPages.Touch(ck));
    }

    [Fact]
    public void ForwardLastChecksItsArguments()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var cache = m.NewCache(2);
        Assert.Throws<ArgumentException>(() => m.ForwardLast([1], cache, new float[m.Config.VocabSize - 1]));
        Assert.Throws<DssException>(() => m.ForwardLast([1, 2, 3], cache, new float[m.Config.VocabSize]));
        Assert.Throws<DssException>(() => m.ForwardLast([], cache, new float[m.Config.VocabSize]));
    }
}
