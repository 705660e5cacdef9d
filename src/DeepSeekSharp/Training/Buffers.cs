namespace DeepSeekSharp.Training;

/// <summary>Growable scratch arrays for activations: reused between sequences, grown when a longer one comes.</summary>
internal static class Buffers
{
    /// <summary>Returns an array of at least n values (contents unspecified unless clear).</summary>
    public static float[] Ensure(ref float[]? a, int n, bool clear = false)
    {
        if (a is null || a.Length < n) a = new float[n];
        else if (clear) Array.Clear(a, 0, n);
        return a;
    }

    public static int[] Ensure(ref int[]? a, int n)
    {
        if (a is null || a.Length < n) a = new int[n];
        return a;
    }
}
