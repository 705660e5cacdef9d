using DeepSeekSharp.Inference;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>The latent cache's rows: what is written reads back (BF16 rounded, F32 exact), in small (pinned array) and large (2 MiB pages) caches, and positions outside the capacity are refused.</summary>
public class LatentCacheTests
{
    [Theory]
    [InlineData(CacheDType.F32, 8)]
    [InlineData(CacheDType.BF16, 8)]
    [InlineData(CacheDType.F32, 2000)]   // 2000 x 576 x 4 B x 2 layers: in 2 MiB pages
    [InlineData(CacheDType.BF16, 2000)]
    public void RowsReadBackPerLayer(CacheDType dtype, int capacity)
    {
        const int kv = 512, pe = 64, layers = 2;
        var cache = new LatentCache(layers, kv, pe, capacity, dtype);
        Assert.Equal((kv + pe) * layers * (dtype == CacheDType.BF16 ? 2 : 4), cache.BytesPerToken);
        var rng = new Random(5);
        int[] positions = [0, 1, capacity / 2, capacity - 1];
        float Value(int layer, int pos, int i) => (float)Math.Sin(layer * 1000 + pos * 7 + i * 0.37) * 3;
        foreach (int pos in positions)
            for (int l = 0; l < layers; l++)
            {
                var kvRow = Enumerable.Range(0, kv).Select(i => Value(l, pos, i)).ToArray();
                var peRow = Enumerable.Range(0, pe).Select(i => Value(l, pos, kv + i)).ToArray();
                cache.Layer(l).Write(pos, kvRow, peRow);
            }
        for (int l = 0; l < layers; l++)
        {
            var kvAll = new float[capacity * kv];
            var peAll = new float[capacity * pe];
            cache.Layer(l).ReadKv(capacity, kvAll);
            cache.Layer(l).ReadPe(capacity, peAll);
            foreach (int pos in positions)
            {
                for (int i = 0; i < kv; i++) Assert.Equal(Expect(Value(l, pos, i)), kvAll[pos * kv + i]);
                for (int i = 0; i < pe; i++) Assert.Equal(Expect(Value(l, pos, kv + i)), peAll[pos * pe + i]);
            }
            // Rows never written read as zeros.
            if (capacity > 8) Assert.All(kvAll.AsSpan(3 * kv, kv).ToArray(), v => Assert.Equal(0f, v));
        }
        float Expect(float v) => dtype == CacheDType.BF16 ? BFloat16.ToSingle(BFloat16.FromSingle(v)) : v;
    }

    [Fact]
    public void PositionsOutsideTheCapacityAreRefused()
    {
        var cache = new LatentCache(1, 4, 2, 3, CacheDType.BF16);
        var layer = cache.Layer(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Write(3, new float[4], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Write(-1, new float[4], new float[2]));
        Assert.Throws<ArgumentException>(() => layer.Write(0, new float[5], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.ReadKv(4, new float[16]));
        Assert.Throws<ArgumentException>(() => layer.ReadKv(3, new float[11]));
    }
}
