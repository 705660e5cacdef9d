using System.Text.Json;
using System.Xml.Linq;
using DeepSeekSharp.Cli;

namespace DeepSeekSharp.Tests;

/// <summary>`dss cost ...` run in-process with the console captured.</summary>
[Collection("Console")]
public class CostCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void KvTablePrintsTable1()
    {
        var (code, output, _) = Run("cost", "kv");
        Assert.Equal(0, code);
        foreach (string s in new[] { "70,272", "327,680", "516,096", "4.66x", "7.34x", "MLA", "GQA" }) Assert.Contains(s, output);
    }

    [Fact]
    public void FlopsJsonHasThePaperRows()
    {
        var (code, output, _) = Run("cost", "flops", "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(4096, doc.RootElement.GetProperty("sequenceLength").GetInt32());
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(4, rows.Length);
        foreach (var r in rows)
            Assert.InRange(Math.Abs(r.GetProperty("residual").GetDouble()), 0, 0.03);
    }

    [Fact]
    public void NetworkMarkdownHasTable3()
    {
        var (code, output, _) = Run("cost", "network", "--format", "markdown");
        Assert.Equal(0, code);
        Assert.Contains("| --- |", output);
        foreach (string s in new[] { "261,632", "16,352", "384,272", "32,928", "131,072", "$81,500", "$525" }) Assert.Contains(s, output);
    }

    [Fact]
    public void EpTpotPlotIsARealSvgWithTheSeries()
    {
        using var dir = new Fixtures.TempDir();
        string svg = dir.File("tpot.svg");
        var (code, output, _) = Run("cost", "ep-tpot", "--plot", svg);
        Assert.Equal(0, code);
        Assert.Contains("14.76", output);
        Assert.Contains("0.82", output);
        var doc = XDocument.Load(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", doc.Root!.Name);
        var series = doc.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "series").ToArray();
        Assert.Contains(series, g => ((string)g.Attribute("data-name")!).Contains("combine 2 B"));
        Assert.Contains(series, g => ((string)g.Attribute("data-name")!).Contains("FP8 combine"));
        Assert.All(series.Take(2), g => Assert.Single(g.Elements(ns + "polyline")));
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToArray();
        Assert.Contains("TPOT (ms)", texts);                  // y-axis label
        Assert.Contains("per-device bandwidth (GB/s)", texts); // x-axis label
        Assert.Contains(texts, t => t.Contains("FP8 combine")); // legend
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));   // the temporary file was renamed
    }

    [Fact]
    public void KvPlotIsABarChart()
    {
        using var dir = new Fixtures.TempDir();
        string svg = dir.File("kv.svg");
        Assert.Equal(0, Run("cost", "kv", "--plot", svg).Code);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var doc = XDocument.Load(svg);
        var bars = doc.Descendants(ns + "g").Single(g => (string?)g.Attribute("class") == "series").Elements(ns + "rect").ToArray();
        Assert.Equal(3, bars.Length);
        // Bar heights are proportional to bytes: LLaMA's is 7.34x DeepSeek-V3's.
        double h0 = double.Parse((string)bars[0].Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture);
        double h2 = double.Parse((string)bars[2].Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(7.34, h2 / h0, 1);
    }

    [Fact]
    public void EpTpotTakesShapesFromAConfigAndExplicitOptionsWin()
    {
        var (code, output, _) = Run("cost", "ep-tpot", "--config", "deepseek-v3", "--bandwidth", "50", "--format", "json");
        Assert.Equal(0, code);
        var row = JsonDocument.Parse(output).RootElement.GetProperty("rows")[0];
        Assert.Equal(7168, row.GetProperty("hidden").GetInt32());
        Assert.Equal(9, row.GetProperty("expertsPerToken").GetInt32());
        var (_, o2, _) = Run("cost", "ep-tpot", "--config", "deepseek-v3", "--hidden", "7000", "--bandwidth", "50", "--format", "json");
        Assert.Equal(14.757, JsonDocument.Parse(o2).RootElement.GetProperty("rows")[0].GetProperty("tpotMilliseconds").GetDouble(), 3);
    }

    [Fact]
    public void BadConfigIsAClearErrorAndExitCode1()
    {
        using var dir = new Fixtures.TempDir();
        string path = dir.File("config.json");
        File.WriteAllText(path, """{"model_type":"llama","hidden_size":4096,"num_hidden_layers":32,"vocab_size":"lots"}""");
        var (code, _, err) = Run("cost", "kv", "--config", path);
        Assert.Equal(1, code);
        Assert.Contains(path, err);
        Assert.Contains("field 'vocab_size' must be an integer", err);
        var dense = Run("cost", "ep-tpot", "--config", "llama-3.1-405b");
        Assert.Equal(1, dense.Code);
        Assert.Contains("not a mixture-of-experts model", dense.Err);
    }

    [Fact]
    public void MtpAndDecodeRun()
    {
        var mtp = Run("cost", "mtp", "--acceptance", "0.8", "--format", "json");
        Assert.Equal(0, mtp.Code);
        Assert.Equal(1.8, JsonDocument.Parse(mtp.Out).RootElement.GetProperty("rows")[0].GetProperty("speedup").GetDouble(), 9);
        var decode = Run("cost", "decode", "--config", "deepseek-v2-lite", "--bandwidth", "100", "--weights", "bf16", "--format", "json");
        Assert.Equal(0, decode.Code);
        var row = JsonDocument.Parse(decode.Out).RootElement.GetProperty("rows")[0];
        Assert.Equal("memory bandwidth", row.GetProperty("limit").GetString());
        Assert.InRange(row.GetProperty("tokensPerSecond").GetDouble(), 15, 25); // 100 GB/s over ~4.9 GB of BF16 weights
        Assert.Equal(1, Run("cost", "decode", "--profile", "no-such-box").Code);
    }
}
