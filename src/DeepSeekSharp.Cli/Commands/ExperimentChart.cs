using System.Globalization;
using System.Text;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// One SVG chart: the training loss of BF16 and FP8 (moving average, mean over seeds) as lines and their
/// validation loss (mean over seeds) as marked points.
/// </summary>
internal static class ExperimentChart
{
    public static string Svg(ExperimentResult r)
    {
        const int W = 760, H = 440, L = 64, R = 20, Tp = 34, B = 46;
        var ci = CultureInfo.InvariantCulture;
        var s = r.Summary;
        var series = new[] { (TrainPrecision.Bf16, "BF16", "#1f77b4"), (TrainPrecision.Fp8, "FP8", "#d62728") };
        var curves = series.Select(x =>
        {
            var runs = r.Runs.Where(u => u.Precision == x.Item1).ToArray();
            var train = ExperimentSummary.MeanCurve(runs, s.SmoothWindow);
            var val = s.EvalSteps.Select((step, i) => (step, runs.Average(u => u.ValLoss[i].Loss))).ToArray();
            return (x.Item2, x.Item3, train, val);
        }).ToArray();
        int steps = curves[0].train.Length;
        // Skip the first tenth (the initial loss dwarfs the part where the curves could differ).
        int from = Math.Max(1, steps / 10);
        var ys = curves.SelectMany(c => c.train.Skip(from - 1).Concat(c.val.Where(v => v.step >= from).Select(v => v.Item2))).Where(double.IsFinite).ToList();
        double y0 = ys.Min(), y1 = ys.Max();
        double pad = Math.Max(1e-3, (y1 - y0) * 0.05);
        y0 -= pad; y1 += pad;
        double X(double step) => L + (step - from) / Math.Max(1, steps - from) * (W - L - R);
        double Y(double v) => Tp + (y1 - v) / (y1 - y0) * (H - Tp - B);
        var sb = new StringBuilder();
        sb.Append(ci, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append(ci, $"<text x=\"{W / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">FP8 vs BF16: training loss (moving average of {s.SmoothWindow}) and validation loss, mean of {r.Setup.Seeds.Length} seed(s)</text>\n");
        sb.Append(ci, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        sb.Append(ci, $"<line x1=\"{L}\" y1=\"{Tp}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        for (int i = 0; i <= 5; i++)
        {
            double v = y0 + (y1 - y0) * i / 5;
            double st = from + (steps - from) * i / 5.0;
            sb.Append(ci, $"<line x1=\"{L}\" y1=\"{Y(v):F1}\" x2=\"{W - R}\" y2=\"{Y(v):F1}\" stroke=\"#ddd\"/>\n");
            sb.Append(ci, $"<text x=\"{L - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:F3}</text>\n");
            sb.Append(ci, $"<text x=\"{X(st):F1}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{st:F0}</text>\n");
        }
        sb.Append(ci, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 8}\" text-anchor=\"middle\">step</text>\n");
        int legend = 0;
        foreach (var (name, color, train, val) in curves)
        {
            sb.Append("<polyline fill=\"none\" stroke=\"").Append(color).Append("\" stroke-width=\"1.5\" points=\"");
            for (int i = from - 1; i < steps; i++)
                if (double.IsFinite(train[i])) sb.Append(ci, $"{X(i + 1):F1},{Y(train[i]):F1} ");
            sb.Append("\"/>\n");
            sb.Append("<polyline fill=\"none\" stroke=\"").Append(color).Append("\" stroke-dasharray=\"4 3\" points=\"");
            foreach (var (step, v) in val.Where(p => p.step >= from && double.IsFinite(p.Item2))) sb.Append(ci, $"{X(step):F1},{Y(v):F1} ");
            sb.Append("\"/>\n");
            foreach (var (step, v) in val.Where(p => p.step >= from && double.IsFinite(p.Item2)))
                sb.Append(ci, $"<circle cx=\"{X(step):F1}\" cy=\"{Y(v):F1}\" r=\"3\" fill=\"{color}\"/>\n");
            sb.Append(ci, $"<text x=\"{W - R - 250 + legend * 125}\" y=\"{Tp + 14}\" fill=\"{color}\">{name} train / val (dots)</text>\n");
            legend++;
        }
        return sb.Append("</svg>\n").ToString();
    }
}
