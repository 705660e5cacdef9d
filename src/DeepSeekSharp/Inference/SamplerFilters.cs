using System.Runtime.CompilerServices;

namespace DeepSeekSharp.Inference;

/// <summary>
/// The distribution-shaping steps of <see cref="Sampler"/> as pure functions over one logit row:
/// temperature softmax, then top-k, top-p and min-p. Kept tokens are ranked by (probability descending,
/// id ascending), so ties at a cut-off always resolve the same way.
/// </summary>
internal static class SamplerFilters
{
    /// <summary>Index of the largest value, the lowest index among equals. Throws on NaN or when nothing is finite.</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = Numerics.Ops.ArgMax(x);
        if (best < 0 || float.IsNegativeInfinity(x[best])) throw new DssException("sampling: every logit is -infinity");
        if (float.IsNaN(x[best])) throw new DssException($"sampling: logit of token {best} is NaN");
        if (float.IsPositiveInfinity(x[best])) throw new DssException($"sampling: logit of token {best} is +infinity");
        return best;
    }

    /// <summary>
    /// In place: x becomes softmax(x / temperature). Returns the id of the largest probability
    /// (whose value is also the maximum; ties to the lowest id).
    /// </summary>
    public static int Softmax(Span<float> x, double temperature)
    {
        int top = ArgMax(x);
        float max = x[top];
        float invT = (float)(1.0 / temperature);
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float d = x[i] - max;
            float e = d == 0 ? 1f : MathF.Exp(d * invT); // d == 0 first: a tiny temperature makes invT infinite
            x[i] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (int i = 0; i < x.Length; i++) x[i] *= inv;
        return top;
    }

    /// <summary>
    /// In place on a normalised distribution: zero every token that top-k, then top-p (over the top-k set,
    /// renormalised), then min-p (relative to the largest probability) remove, and renormalise.
    /// <paramref name="keys"/> is scratch of at least probs.Length. At least the most probable token is kept.
    /// </summary>
    public static void Filter(Span<float> probs, float pMax, int topK, double topP, double minP, Span<long> keys)
    {
        int vocab = probs.Length;
        bool useK = topK > 0 && topK < vocab;
        bool useP = topP < 1;
        float minThreshold = (float)(minP * pMax);
        if (!useK && !useP)
        {
            if (minP > 0) KeepAtLeast(probs, minThreshold);
            return;
        }

        // Candidates. With top-k, exactly the k best (top-p needs the whole top-k mass). Without it, tokens below
        // tau hold less than (1 - top_p) * p_max <= 1 - top_p all together, so the nucleus is never among them.
        double mass;
        int n;
        if (useK)
        {
            n = SelectSmallestKeys(probs, useP ? 0f : minThreshold, topK, keys);
            mass = 0;
            for (int i = 0; i < n; i++) mass += ProbOf(keys[i]);
        }
        else
        {
            n = GatherKeys(probs, (float)((1 - topP) * pMax / vocab), keys, out mass);
        }
        Span<long> ranked = keys[..n];
        ranked.Sort();

        int m = n;
        if (useP)
        {
            double target = topP * mass, cum = 0;
            for (int i = 0; i < m; i++)
            {
                cum += ProbOf(ranked[i]);
                if (cum >= target) { m = i + 1; break; }
            }
        }
        while (m > 1 && ProbOf(ranked[m - 1]) < minThreshold) m--;

        double kept = 0;
        for (int i = 0; i < m; i++) kept += ProbOf(ranked[i]);
        float scale = (float)(1.0 / kept);
        probs.Clear();
        for (int i = 0; i < m; i++) probs[IdOf(ranked[i])] = ProbOf(ranked[i]) * scale;
    }

    /// <summary>Zero probabilities below threshold (the maximum is never below it) and renormalise.</summary>
    private static void KeepAtLeast(Span<float> probs, float threshold)
    {
        double sum = 0;
        for (int i = 0; i < probs.Length; i++)
        {
            if (probs[i] < threshold) probs[i] = 0;
            else sum += probs[i];
        }
        float scale = (float)(1.0 / sum);
        for (int i = 0; i < probs.Length; i++) probs[i] *= scale;
    }

    /// <summary>Sort key: ascending order = probability descending, then id ascending. p must be &gt;= 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long KeyOf(float p, int id) => ((long)(0x7FFFFFFF - BitConverter.SingleToInt32Bits(p)) << 32) | (uint)id;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ProbOf(long key) => BitConverter.Int32BitsToSingle(0x7FFFFFFF - (int)(key >> 32));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IdOf(long key) => (int)(uint)key;

    /// <summary>Keys of the tokens with p &gt;= tau (and p &gt; 0); total = the mass of all tokens.</summary>
    private static int GatherKeys(ReadOnlySpan<float> probs, float tau, Span<long> keys, out double total)
    {
        int n = 0;
        total = 0;
        for (int id = 0; id < probs.Length; id++)
        {
            float p = probs[id];
            total += p;
            if (p > 0 && p >= tau) keys[n++] = KeyOf(p, id);
        }
        return n;
    }

    /// <summary>The (at most) k smallest keys of the candidates, unordered, via a max-heap: O(vocab log k).</summary>
    private static int SelectSmallestKeys(ReadOnlySpan<float> probs, float tau, int k, Span<long> keys)
    {
        Span<long> heap = keys[..k];
        int n = 0;
        for (int id = 0; id < probs.Length; id++)
        {
            float p = probs[id];
            if (!(p > 0 && p >= tau)) continue;
            long key = KeyOf(p, id);
            if (n < k)
            {
                heap[n++] = key;
                if (n == k)
                    for (int i = k / 2 - 1; i >= 0; i--) SiftDown(heap, i);
            }
            else if (key < heap[0])
            {
                heap[0] = key;
                SiftDown(heap, 0);
            }
        }
        return n;
    }

    private static void SiftDown(Span<long> heap, int i)
    {
        long item = heap[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= heap.Length) break;
            if (child + 1 < heap.Length && heap[child + 1] > heap[child]) child++;
            if (heap[child] <= item) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }
}
