namespace DeepSeekSharp.Training;

/// <summary>Linear warm-up from 0 to the peak over warmup steps, then cosine decay to minRatio x peak at the last step.</summary>
public sealed record LrSchedule(double Peak, int WarmupSteps, int TotalSteps, double MinRatio = 0.1)
{
    /// <summary>Learning rate of 1-based step t.</summary>
    public double At(int t)
    {
        if (WarmupSteps > 0 && t <= WarmupSteps) return Peak * t / WarmupSteps;
        int decay = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((double)(t - WarmupSteps) / decay, 0, 1);
        double min = Peak * MinRatio;
        return min + 0.5 * (Peak - min) * (1 + Math.Cos(Math.PI * progress));
    }
}
