namespace DeepSeekSharp.Training;

/// <summary>Expert load of one MoE layer over a step: the busiest expert's tokens over the mean.</summary>
public readonly record struct ExpertLoad(int Layer, double MaxOverMean, double MinOverMean);

/// <summary>
/// DeepSeek-V3's auxiliary-loss-free balancing: after each step every expert's e_score_correction_bias moves by
/// gamma toward balance, down when it received more than the mean load and up when less (sign(mean - load)).
/// </summary>
public static class LoadBalancer
{
    /// <summary>Reads the step's load of every MoE layer, updates the biases (when gamma &gt; 0) and resets the counts.</summary>
    public static ExpertLoad[] Update(TrainModel model, double gamma)
    {
        var loads = new List<ExpertLoad>();
        var p = model.Params;
        foreach (var moe in model.MoeLayers)
        {
            var load = moe.Load;
            double mean = load.Average();
            long max = load.Max(), min = load.Min();
            loads.Add(new ExpertLoad(moe.LayerId, mean > 0 ? max / mean : 0, mean > 0 ? min / mean : 0));
            if (gamma > 0 && moe.HasBias && mean > 0)
            {
                var bias = p.Value(moe.BiasName);
                for (int e = 0; e < load.Length; e++) bias[e] += (float)(gamma * Math.Sign(mean - load[e]));
            }
            moe.ResetLoad();
        }
        return loads.ToArray();
    }
}
