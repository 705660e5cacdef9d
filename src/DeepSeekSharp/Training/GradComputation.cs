using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Training;

/// <summary>
/// `dss grad`: the mean next-token cross-entropy over several sequences together (sum of the per-target losses
/// divided by the number of targets) and its gradient with respect to every main-model weight.
/// </summary>
public static class GradComputation
{
    /// <summary>Zeroes the gradients, runs every sequence forward and backward, returns the mean loss.</summary>
    public static double Compute(TrainModel model, IReadOnlyList<int[]> sequences)
    {
        if (sequences.Count == 0) throw new DssException("no sequences given");
        int targets = 0;
        foreach (var s in sequences)
        {
            if (s.Length < 2) throw new DssException($"a sequence of {s.Length} token(s) has no next-token target: give at least 2 ids");
            targets += s.Length - 1;
        }
        model.ZeroGrad();
        double sum = 0;
        var scales = new LossScales(1f / targets, 0f, 0f);
        foreach (var s in sequences) sum += model.Run(s, scales, backward: true).Main;
        return sum / targets;
    }

    /// <summary>Writes `loss` [1] and `grad.&lt;name&gt;` F32 for every trainable main-model weight (atomically).</summary>
    public static void Write(string path, double loss, ParameterSet p)
    {
        var entries = new List<SafetensorsEntry> { SafetensorsEntry.FromArray("loss", DType.F32, new long[] { 1 }, new[] { (float)loss }) };
        int mtpLayer = p.Config.NumHiddenLayers;
        string mtpPrefix = $"model.layers.{mtpLayer}.";
        foreach (var t in p.Tensors)
        {
            if (!t.Trainable || t.Name.StartsWith(mtpPrefix, StringComparison.Ordinal)) continue;
            entries.Add(SafetensorsEntry.FromArray("grad." + t.Name, DType.F32, t.Shape, p.Gradient(t.Name).ToArray()));
        }
        SafetensorsWriter.Write(path, entries);
    }
}
