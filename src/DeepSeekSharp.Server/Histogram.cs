using System.Globalization;
using System.Text;

namespace DeepSeekSharp.Server;

/// <summary>A Prometheus histogram of seconds with fixed buckets; thread-safe.</summary>
public sealed class Histogram
{
    public static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly double[] _bounds;
    private readonly long[] _counts; // per bucket, not cumulative; the last is +Inf
    private double _sum;
    private long _count;

    public Histogram(double[]? bounds = null)
    {
        _bounds = bounds ?? LatencyBuckets;
        _counts = new long[_bounds.Length + 1];
    }

    public long Count => Interlocked.Read(ref _count);

    public void Observe(double seconds)
    {
        int i = 0;
        while (i < _bounds.Length && seconds > _bounds[i]) i++;
        lock (_counts)
        {
            _counts[i]++;
            _sum += seconds;
            _count++;
        }
    }

    /// <summary>Appends the _bucket, _sum and _count lines; labels like <c>endpoint="chat"</c> or empty.</summary>
    public void Write(StringBuilder sb, string name, string labels)
    {
        string sep = labels.Length == 0 ? "" : labels + ",";
        string plain = labels.Length == 0 ? "" : "{" + labels + "}";
        lock (_counts)
        {
            long cum = 0;
            for (int i = 0; i < _bounds.Length; i++)
            {
                cum += _counts[i];
                sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{sep}le=\"{_bounds[i].ToString(CultureInfo.InvariantCulture)}\"}} {cum}\n");
            }
            cum += _counts[^1];
            sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{sep}le=\"+Inf\"}} {cum}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{name}_sum{plain} {_sum.ToString("R", CultureInfo.InvariantCulture)}\n");
            sb.Append(CultureInfo.InvariantCulture, $"{name}_count{plain} {_count}\n");
        }
    }
}
