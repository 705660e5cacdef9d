namespace DeepSeekSharp.Peer;

/// <summary>Greedy decoding in two engines from the same prompt, token by token, with the logit gap of each step.</summary>
public sealed record GreedyComparison(int[] Prompt, int[] Ours, int[] Theirs, double[] MaxLogitDiff)
{
    /// <summary>Steps until the first disagreement (the whole length when they agree).</summary>
    public int AgreedSteps
    {
        get
        {
            int n = 0;
            while (n < Ours.Length && n < Theirs.Length && Ours[n] == Theirs[n]) n++;
            return n;
        }
    }

    public bool Agree => AgreedSteps == Ours.Length && Ours.Length == Theirs.Length;

    /// <summary>Greedy-decodes <paramref name="steps"/> tokens in each engine (each feeds back its own choice).</summary>
    public static GreedyComparison Run(IStepEngine ours, IStepEngine theirs, int[] prompt, int steps)
    {
        var a = Greedy(ours, prompt, steps);
        var b = Greedy(theirs, prompt, steps);
        var diffs = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            double m = 0;
            for (int i = 0; i < a.Logits[s].Length; i++) m = Math.Max(m, Math.Abs(a.Logits[s][i] - b.Logits[s][i]));
            diffs[s] = m;
        }
        return new GreedyComparison(prompt, a.Ids, b.Ids, diffs);
    }

    public static (int[] Ids, float[][] Logits) Greedy(IStepEngine e, int[] prompt, int steps)
    {
        var ids = new int[steps];
        var all = new float[steps][];
        var logits = e.Prefill(prompt);
        for (int s = 0; s < steps; s++)
        {
            all[s] = logits;
            ids[s] = ArgMax(logits);
            if (s + 1 < steps) logits = e.Step(ids[s]);
        }
        return (ids, all);
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
