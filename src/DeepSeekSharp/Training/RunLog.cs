using System.Text;
using System.Text.Json;
using DeepSeekSharp.Checkpoints;

namespace DeepSeekSharp.Training;

/// <summary>
/// The run folder's record: metrics.jsonl (one JSON object per step) and loss.svg (training and validation loss
/// curves), both rewritten atomically. On resume, lines after the resumed step are dropped so the record matches
/// the state.
/// </summary>
public sealed class RunLog
{
    public const string MetricsFile = "metrics.jsonl";
    public const string ChartFile = "loss.svg";

    private readonly string _dir;
    private readonly List<string> _lines = new();
    private readonly List<(int Step, double Loss)> _train = new();
    private readonly List<(int Step, double Loss)> _val = new();

    public RunLog(string dir, int resumeStep)
    {
        _dir = dir;
        string path = Path.Combine(dir, MetricsFile);
        if (resumeStep <= 0 || !File.Exists(path)) return;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            int step = doc.RootElement.GetProperty("step").GetInt32();
            if (step > resumeStep) break;
            Add(line, step, doc.RootElement.GetProperty("loss").GetDouble(),
                doc.RootElement.TryGetProperty("val_loss", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null);
        }
    }

    public IReadOnlyList<(int Step, double Loss)> TrainLoss => _train;
    public IReadOnlyList<(int Step, double Loss)> ValLoss => _val;

    private void Add(string line, int step, double loss, double? val)
    {
        _lines.Add(line);
        _train.Add((step, loss));
        if (val is double v && !double.IsNaN(v)) _val.Add((step, v));
    }

    public void Record(StepMetrics m)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("step", m.Step);
            w.WriteNumber("loss", m.Loss);
            if (m.ValLoss is double v && !double.IsNaN(v)) w.WriteNumber("val_loss", v);
            else w.WriteNull("val_loss");
            w.WriteNumber("mtp_loss", m.MtpLoss);
            w.WriteNumber("balance_loss", m.BalanceLoss);
            w.WriteNumber("lr", m.Lr);
            w.WriteNumber("grad_norm", m.GradNorm);
            w.WriteNumber("tokens", m.Tokens);
            w.WriteNumber("seconds", m.Seconds);
            w.WriteNumber("tokens_per_s", m.TokensPerSecond);
            w.WriteStartArray("expert_load_max_over_mean");
            foreach (var l in m.Load) w.WriteNumberValue(Math.Round(l.MaxOverMean, 4));
            w.WriteEndArray();
            w.WriteEndObject();
        }
        Add(Encoding.UTF8.GetString(ms.ToArray()), m.Step, m.Loss, m.ValLoss);
    }

    /// <summary>Rewrites metrics.jsonl and loss.svg.</summary>
    public void Flush()
    {
        AtomicFile.WriteAllBytes(Path.Combine(_dir, MetricsFile), Encoding.UTF8.GetBytes(string.Concat(_lines.Select(l => l + "\n"))));
        AtomicFile.WriteAllBytes(Path.Combine(_dir, ChartFile), Encoding.UTF8.GetBytes(LossChart.Svg(_train, _val)));
    }
}
