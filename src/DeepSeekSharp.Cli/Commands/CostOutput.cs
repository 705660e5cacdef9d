using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DeepSeekSharp.CostModel;
using Spectre.Console;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>How a `dss cost` report is printed.</summary>
internal enum CostFormat { Table, Json, Markdown }

/// <summary>A report as rows of text: rendered as a Spectre.Console table or as Markdown. Notes print below it.</summary>
internal sealed record CostTable(string Title, string[] Headers, List<string[]> Rows, List<string> Notes)
{
    public CostTable(string title, params string[] headers) : this(title, headers, [], []) { }

    public CostTable Add(params string[] cells)
    {
        if (cells.Length != Headers.Length) throw new InvalidOperationException($"row has {cells.Length} cells, table {Title} has {Headers.Length} columns");
        Rows.Add(cells);
        return this;
    }
}

/// <summary>Printing for the `dss cost` commands: tables, Markdown, source-generated JSON and SVG files.</summary>
internal static class CostOutput
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string N(double v, string format) => v.ToString(format, Inv);
    public static string N(double? v, string format) => v is { } x ? x.ToString(format, Inv) : "-";
    public static string Pct(double? residual) => residual is { } r ? (r >= 0 ? "+" : "") + (r * 100).ToString("0.0", Inv) + "%" : "-";
    public static double? Residual(double ours, double? paper) => paper is { } p && p != 0 ? ours / p - 1 : null;

    public static void Print(CostTable table, CostFormat format)
    {
        if (format == CostFormat.Markdown)
        {
            Console.Out.Write(Markdown(table));
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected) console.Profile.Width = 200;
        var t = new Table { Title = new TableTitle(Markup.Escape(table.Title)), Border = TableBorder.Rounded };
        for (int i = 0; i < table.Headers.Length; i++)
        {
            var col = new TableColumn(Markup.Escape(table.Headers[i]));
            if (i > 0 && table.Rows.All(r => LooksNumeric(r[i]))) col.RightAligned();
            t.AddColumn(col);
        }
        foreach (var row in table.Rows) t.AddRow(row.Select(c => new Text(c)).ToArray());
        console.Write(t);
        foreach (var note in table.Notes) console.WriteLine(note);
    }

    public static string Markdown(CostTable table)
    {
        var sb = new StringBuilder();
        sb.Append("**").Append(table.Title).Append("**\n\n");
        sb.Append("| ").Append(string.Join(" | ", table.Headers)).Append(" |\n");
        sb.Append('|').Append(string.Concat(table.Headers.Select((_, i) => i > 0 && table.Rows.All(r => LooksNumeric(r[i])) ? " ---: |" : " --- |"))).Append('\n');
        foreach (var row in table.Rows) sb.Append("| ").Append(string.Join(" | ", row.Select(c => c.Replace("|", "\\|")))).Append(" |\n");
        if (table.Notes.Count > 0) sb.Append('\n').Append(string.Join("\n", table.Notes.Select(n => "- " + n))).Append('\n');
        return sb.ToString();
    }

    public static void PrintJson<T>(T report, JsonTypeInfo<T> info) => Console.Out.WriteLine(JsonSerializer.Serialize(report, info));

    public static void WritePlot(string? path, Func<string> svg)
    {
        if (path is null) return;
        SvgChart.WriteAtomically(path, svg());
        Console.Error.WriteLine($"wrote {path}");
    }

    private static bool LooksNumeric(string s) => s == "-" || (s.Length > 0 && (char.IsDigit(s[0]) || s[0] is '+' or '-' or '.'));
}
