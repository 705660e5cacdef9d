using DeepSeekSharp.Training;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// The progress line of `dss train`: a bar with step, loss, validation loss, tokens/s, ETA and expert balance
/// (max/mean load over the MoE layers), redrawn in place on a terminal and printed every 10 steps otherwise.
/// </summary>
internal sealed class TrainProgress(TextWriter w, int totalSteps, int startStep)
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private double _seconds;
    private long _tokens;
    private int _steps;

    public double MeanTokensPerSecond => _seconds > 0 ? _tokens / _seconds : 0;

    public void Report(StepMetrics m, double? val)
    {
        _seconds += m.Seconds;
        _tokens += m.Tokens;
        _steps++;
        double perStep = _seconds / _steps;
        var eta = TimeSpan.FromSeconds(perStep * (totalSteps - m.Step));
        const int width = 20;
        int filled = (int)Math.Round((double)m.Step / totalSteps * width);
        string bar = new string('#', filled) + new string('.', width - filled);
        string balance = m.Load.Length == 0 ? "" : $" | experts max/mean {m.MaxLoadOverMean:F2}";
        string line = $"[{bar}] step {m.Step}/{totalSteps} | loss {m.Loss:F4} | val {(val is double v ? v.ToString("F4") : "-")} | {m.TokensPerSecond:F0} tok/s | ETA {eta:hh\\:mm\\:ss}{balance}";
        if (_interactive) w.Write("\r" + line.PadRight(118));
        else if (m.Step % 10 == 0 || m.ValLoss is not null || m.Step == totalSteps || m.Step == startStep + 1) w.WriteLine(line);
    }

    public void Finish()
    {
        if (_interactive) w.WriteLine();
    }
}
