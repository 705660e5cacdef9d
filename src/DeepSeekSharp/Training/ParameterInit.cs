using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Training;

/// <summary>Fills a <see cref="ParameterSet"/> from a Hugging Face checkpoint (any stored dtype) or at random.</summary>
public static class ParameterInit
{
    /// <summary>
    /// Reads every tensor of the layout from the model folder, dequantised to F32 (F32, BF16, F16, or F8_E4M3 with
    /// its weight_scale_inv). An MTP module named by the config but absent from the checkpoint is an error when
    /// <paramref name="includeMtp"/> is set and the checkpoint has none: pass includeMtp false to train without it.
    /// </summary>
    public static ParameterSet LoadCheckpoint(string dir, bool includeMtp)
    {
        var config = ModelConfig.Load(dir);
        using var weights = new ModelWeights(Checkpoint.Open(dir), config);
        bool mtp = includeMtp && config.NumNextnPredictLayers > 0 && weights.Has(HfNames.MtpEhProj(config.NumHiddenLayers));
        var p = new ParameterSet(config, mtp);
        foreach (var t in p.Tensors)
        {
            var dst = p.Value(t.Name);
            if (!t.IsMatrix)
            {
                weights.Vector(t.Name, t.Rows).CopyTo(dst);
                continue;
            }
            var w = weights.Matrix(t.Name, t.Rows, t.Cols);
            for (int r = 0; r < t.Rows; r++) w.ReadRow(r, dst.Slice(r * t.Cols, t.Cols));
        }
        return p;
    }

    /// <summary>
    /// Random initialisation: matrices normal(0, std) with std = initializer_range (0.02 by default), norm weights 1,
    /// correction biases 0. The same seed gives the same weights everywhere.
    /// </summary>
    public static ParameterSet Random(ModelConfig config, bool includeMtp, ulong seed, double std = 0.02)
    {
        var p = new ParameterSet(config, includeMtp);
        var rng = new TrainRng(seed);
        foreach (var t in p.Tensors)
        {
            var dst = p.Value(t.Name);
            if (t.IsMatrix)
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)(rng.NextNormal() * std);
            else
                dst.Fill(t.Trainable ? 1f : 0f);
        }
        return p;
    }

    /// <summary>initializer_range of a config.json, 0.02 when it has none.</summary>
    public static double InitializerRange(string configPath)
    {
        if (Directory.Exists(configPath)) configPath = Path.Combine(configPath, "config.json");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(configPath));
        return doc.RootElement.TryGetProperty("initializer_range", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.Number ? v.GetDouble() : 0.02;
    }
}
