using System.Globalization;
using System.Security;
using System.Text;

namespace DeepSeekSharp.CostModel;

/// <summary>One plotted line: (x, y) points, drawn with markers when <see cref="Markers"/> is set.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, bool Markers = false);

/// <summary>
/// Small self-contained SVG charts (a line chart with linear or log axes, and a bar chart), each with a title,
/// axis labels, tick labels, grid lines and a legend, so a browser renders them without any script or font.
/// </summary>
public static class SvgChart
{
    private const int Width = 900, Height = 480, Left = 80, Right = 290, Top = 50, Bottom = 60;
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Line(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool logX, bool logY)
    {
        if (series.Count == 0 || series.All(s => s.Points.Count == 0)) throw new DssException("nothing to plot");
        var pts = series.SelectMany(s => s.Points).ToArray();
        if ((logX && pts.Any(p => p.X <= 0)) || (logY && pts.Any(p => p.Y <= 0))) throw new DssException("a log axis needs positive values");
        var xAxis = Axis.For(pts.Min(p => p.X), pts.Max(p => p.X), logX, Left, Width - Right);
        var yAxis = Axis.For(pts.Min(p => p.Y), pts.Max(p => p.Y), logY, Height - Bottom, Top);

        var sb = Begin(title, xLabel, yLabel);
        foreach (double t in xAxis.Ticks)
        {
            double x = xAxis.Map(t);
            sb.Append(Inv, $"<line class=\"grid\" x1=\"{F(x)}\" y1=\"{Top}\" x2=\"{F(x)}\" y2=\"{Height - Bottom}\"/>\n");
            sb.Append(Inv, $"<text class=\"tick\" x=\"{F(x)}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{Label(t)}</text>\n");
        }
        YTicks(sb, yAxis);
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            string color = Palette[i % Palette.Length];
            var mapped = s.Points.Select(p => (X: xAxis.Map(p.X), Y: yAxis.Map(p.Y))).ToArray();
            sb.Append(Inv, $"<g class=\"series\" data-name=\"{Esc(s.Name)}\">\n");
            if (mapped.Length > 1)
                sb.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', mapped.Select(p => F(p.X) + "," + F(p.Y)))}\"/>\n");
            if (s.Markers || mapped.Length == 1)
                foreach (var (p, m) in s.Points.Zip(mapped))
                    sb.Append(Inv, $"<circle cx=\"{F(m.X)}\" cy=\"{F(m.Y)}\" r=\"4\" fill=\"{color}\"><title>{Esc(s.Name)}: ({Label(p.X)}, {Label(p.Y)})</title></circle>\n");
            sb.Append("</g>\n");
        }
        Legend(sb, series.Select(s => s.Name).ToArray());
        return End(sb);
    }

    /// <summary>One bar per category; <paramref name="valueLabels"/> are printed above the bars.</summary>
    public static string Bars(string title, string yLabel, string seriesName, IReadOnlyList<string> categories, IReadOnlyList<double> values, IReadOnlyList<string> valueLabels)
    {
        if (categories.Count == 0 || categories.Count != values.Count || values.Count != valueLabels.Count) throw new DssException("nothing to plot");
        if (values.Any(v => v < 0 || double.IsNaN(v))) throw new DssException("bar values must not be negative");
        var yAxis = Axis.For(0, values.Max() * 1.1, log: false, Height - Bottom, Top);
        var sb = Begin(title, "", yLabel);
        YTicks(sb, yAxis);
        double slot = (double)(Width - Right - Left) / categories.Count, bar = slot * 0.6;
        sb.Append(Inv, $"<g class=\"series\" data-name=\"{Esc(seriesName)}\">\n");
        for (int i = 0; i < categories.Count; i++)
        {
            double x = Left + slot * i + (slot - bar) / 2, y = yAxis.Map(values[i]);
            string color = Palette[i % Palette.Length];
            sb.Append(Inv, $"<rect x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(bar)}\" height=\"{F(Height - Bottom - y)}\" fill=\"{color}\"><title>{Esc(categories[i])}: {Esc(valueLabels[i])}</title></rect>\n");
            sb.Append(Inv, $"<text class=\"value\" x=\"{F(x + bar / 2)}\" y=\"{F(y - 6)}\" text-anchor=\"middle\">{Esc(valueLabels[i])}</text>\n");
            sb.Append(Inv, $"<text class=\"tick\" x=\"{F(x + bar / 2)}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{Esc(categories[i])}</text>\n");
        }
        sb.Append("</g>\n");
        Legend(sb, [seriesName]);
        return End(sb);
    }

    /// <summary>Writes <paramref name="svg"/> to a temporary file next to <paramref name="path"/>, then renames it over.</summary>
    public static void WriteAtomically(string path, string svg)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DssException($"{path}: folder {dir} does not exist");
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(tmp, svg, new UTF8Encoding(false));
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static StringBuilder Begin(string title, string xLabel, string yLabel)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\">\n");
        sb.Append(Inv, $"<title>{Esc(title)}</title>\n");
        sb.Append("<style>.grid{stroke:#ddd;stroke-width:1}.axis{stroke:#000;stroke-width:1.5}.tick{font-size:12px;fill:#333}.label{font-size:14px}.title{font-size:16px;font-weight:bold}.value{font-size:12px}.legend{font-size:13px}</style>\n");
        sb.Append(Inv, $"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"#fff\"/>\n");
        sb.Append(Inv, $"<text class=\"title\" x=\"{(Left + Width - Right) / 2}\" y=\"28\" text-anchor=\"middle\">{Esc(title)}</text>\n");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\"/>\n");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\"/>\n");
        if (xLabel.Length > 0)
            sb.Append(Inv, $"<text class=\"label\" x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 15}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        sb.Append(Inv, $"<text class=\"label\" x=\"20\" y=\"{(Top + Height - Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 20 {(Top + Height - Bottom) / 2})\">{Esc(yLabel)}</text>\n");
        return sb;
    }

    private static void YTicks(StringBuilder sb, Axis yAxis)
    {
        foreach (double t in yAxis.Ticks)
        {
            double y = yAxis.Map(t);
            sb.Append(Inv, $"<line class=\"grid\" x1=\"{Left}\" y1=\"{F(y)}\" x2=\"{Width - Right}\" y2=\"{F(y)}\"/>\n");
            sb.Append(Inv, $"<text class=\"tick\" x=\"{Left - 8}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{Label(t)}</text>\n");
        }
    }

    private static void Legend(StringBuilder sb, IReadOnlyList<string> names)
    {
        int x = Width - Right + 15;
        sb.Append("<g class=\"legend\">\n");
        for (int i = 0; i < names.Count; i++)
        {
            int y = Top + 10 + i * 22;
            sb.Append(Inv, $"<rect x=\"{x}\" y=\"{y - 9}\" width=\"14\" height=\"10\" fill=\"{Palette[i % Palette.Length]}\"/>\n");
            sb.Append(Inv, $"<text class=\"legend\" x=\"{x + 20}\" y=\"{y}\">{Esc(names[i])}</text>\n");
        }
        sb.Append("</g>\n");
    }

    private static string End(StringBuilder sb) => sb.Append("</svg>\n").ToString();

    private static string F(double v) => v.ToString("0.##", Inv);
    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
    private static string Label(double v) =>
        Math.Abs(v) >= 1e7 || (Math.Abs(v) < 1e-2 && v != 0) ? v.ToString("0.##E+0", Inv) : v.ToString("0.###", Inv);

    /// <summary>Maps data values to pixels, with "nice" tick values (1-2-5 steps, or decades on a log axis).</summary>
    private sealed record Axis(double Lo, double Hi, bool Log, double PixLo, double PixHi, double[] Ticks)
    {
        public double Map(double v)
        {
            double t = Log ? (Math.Log10(v) - Math.Log10(Lo)) / (Math.Log10(Hi) - Math.Log10(Lo)) : (v - Lo) / (Hi - Lo);
            return PixLo + t * (PixHi - PixLo);
        }

        public static Axis For(double min, double max, bool log, double pixLo, double pixHi)
        {
            if (log)
            {
                double lo = Math.Pow(10, Math.Floor(Math.Log10(min))), hi = Math.Pow(10, Math.Ceiling(Math.Log10(max)));
                if (hi <= lo) hi = lo * 10;
                var ticks = new List<double>();
                for (double d = lo; d <= hi * 1.0001; d *= 10) ticks.Add(d);
                return new Axis(lo, hi, true, pixLo, pixHi, ticks.ToArray());
            }
            if (max <= min) max = min + 1;
            double raw = (max - min) / 6, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double step = mag * (raw / mag <= 1 ? 1 : raw / mag <= 2 ? 2 : raw / mag <= 5 ? 5 : 10);
            double lo2 = Math.Floor(min / step) * step, hi2 = Math.Ceiling(max / step) * step;
            var t2 = new List<double>();
            for (double v = lo2; v <= hi2 + step / 2; v += step) t2.Add(Math.Round(v, 10));
            return new Axis(lo2, hi2, false, pixLo, pixHi, t2.ToArray());
        }
    }
}
