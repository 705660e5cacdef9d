namespace DeepSeekSharp.Training;

/// <summary>
/// A small deterministic generator (SplitMix64) whose whole state is one ulong, so runs repeat bit for bit on every
/// platform and a training state file can store and restore it. Normal samples by Box-Muller in double.
/// </summary>
public sealed class TrainRng
{
    public ulong State { get; set; }

    public TrainRng(ulong seed) => State = seed;

    public ulong NextU64()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in (0, 1): never exactly 0, so it is safe under a logarithm.</summary>
    public double NextDouble() => ((NextU64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)(NextDouble() * n);

    public double NextNormal()
    {
        double u1 = NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fisher-Yates shuffle of a permutation of [0, n).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(NextU64() % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
