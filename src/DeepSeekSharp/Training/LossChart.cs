using System.Globalization;
using System.Text;

namespace DeepSeekSharp.Training;

/// <summary>An SVG line chart of training loss (per step) and validation loss (at evaluation steps).</summary>
public static class LossChart
{
    public static string Svg(IReadOnlyList<(int Step, double Loss)> train, IReadOnlyList<(int Step, double Loss)> val)
    {
        const int W = 720, H = 420, L = 60, R = 20, Tp = 30, B = 45;
        var all = train.Concat(val).Where(p => double.IsFinite(p.Loss)).ToList();
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.Append(ci, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append(ci, $"<text x=\"{W / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">loss</text>\n");
        if (all.Count == 0) return sb.Append("</svg>\n").ToString();
        int x0 = all.Min(p => p.Step), x1 = Math.Max(x0 + 1, all.Max(p => p.Step));
        double y0 = Math.Floor(all.Min(p => p.Loss) * 2) / 2, y1 = Math.Ceiling(all.Max(p => p.Loss) * 2) / 2;
        if (y1 <= y0) y1 = y0 + 0.5;
        double X(int s) => L + (double)(s - x0) / (x1 - x0) * (W - L - R);
        double Y(double v) => Tp + (y1 - v) / (y1 - y0) * (H - Tp - B);
        sb.Append(ci, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        sb.Append(ci, $"<line x1=\"{L}\" y1=\"{Tp}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        for (int i = 0; i <= 5; i++)
        {
            double v = y0 + (y1 - y0) * i / 5;
            int s = x0 + (int)Math.Round((x1 - x0) * i / 5.0);
            sb.Append(ci, $"<line x1=\"{L}\" y1=\"{Y(v):F1}\" x2=\"{W - R}\" y2=\"{Y(v):F1}\" stroke=\"#ddd\"/>\n");
            sb.Append(ci, $"<text x=\"{L - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:F2}</text>\n");
            sb.Append(ci, $"<text x=\"{X(s):F1}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{s}</text>\n");
        }
        sb.Append(ci, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 8}\" text-anchor=\"middle\">step</text>\n");
        Polyline(sb, train, X, Y, "#1f77b4");
        Polyline(sb, val, X, Y, "#d62728");
        foreach (var (s, v) in val.Where(p => double.IsFinite(p.Loss)))
            sb.Append(ci, $"<circle cx=\"{X(s):F1}\" cy=\"{Y(v):F1}\" r=\"3\" fill=\"#d62728\"/>\n");
        sb.Append(ci, $"<text x=\"{W - R - 150}\" y=\"{Tp + 14}\" fill=\"#1f77b4\">training</text>\n");
        sb.Append(ci, $"<text x=\"{W - R - 80}\" y=\"{Tp + 14}\" fill=\"#d62728\">validation</text>\n");
        return sb.Append("</svg>\n").ToString();
    }

    private static void Polyline(StringBuilder sb, IReadOnlyList<(int Step, double Loss)> pts, Func<int, double> x, Func<double, double> y, string color)
    {
        var ok = pts.Where(p => double.IsFinite(p.Loss)).ToList();
        if (ok.Count == 0) return;
        sb.Append("<polyline fill=\"none\" stroke=\"").Append(color).Append("\" stroke-width=\"1.5\" points=\"");
        foreach (var (s, v) in ok) sb.Append(CultureInfo.InvariantCulture, $"{x(s):F1},{y(v):F1} ");
        sb.Append("\"/>\n");
    }
}
