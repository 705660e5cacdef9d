using System.Text.Json;
using DeepSeekSharp.Tokenization.Jinja;

namespace DeepSeekSharp.Tests;

/// <summary>
/// One case per construct of the Jinja subset; expected outputs are what Python's jinja2 renders with Hugging
/// Face's settings (TestData/ChatTemplates/jinja-cases.json, see its README).
/// </summary>
public class JinjaTemplateTests
{
    private static string CasesPath => Path.Combine(Fixtures.RepoRoot, "tests", "DeepSeekSharp.Tests", "TestData", "ChatTemplates", "jinja-cases.json");

    public static TheoryData<string> CaseNames()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(CasesPath));
        var data = new TheoryData<string>();
        foreach (var c in doc.RootElement.EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void RendersLikeJinja2(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(CasesPath));
        var c = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var variables = (Dictionary<string, object?>)JsonValues.From(c.GetProperty("variables"))!;
        string rendered = JinjaTemplate.Parse(c.GetProperty("template").GetString()!).Render(variables);
        Assert.Equal(c.GetProperty("expected").GetString(), rendered);
    }

    [Fact]
    public void CoversEveryConstructTheBriefLists() => Assert.True(CaseNames().Count >= 25);

    private static string Render(string template, params (string Name, object? Value)[] vars) =>
        JinjaTemplate.Parse(template).Render(vars.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void NamespaceAssignmentSurvivesTheLoopButPlainSetDoesNot()
    {
        const string t = "{% set ns = namespace(n=0) %}{% set m = 0 %}{% for i in xs %}{% set ns.n = ns.n + 1 %}{% set m = m + 1 %}{% endfor %}{{ ns.n }},{{ m }}";
        Assert.Equal("3,0", Render(t, ("xs", new[] { 1, 2, 3 })));
    }

    [Fact]
    public void AcceptsDotNetValues()
    {
        var vars = new Dictionary<string, object?>
        {
            ["list"] = new List<string> { "a", "b" },
            ["map"] = new Dictionary<string, object?> { ["k"] = 7 },
            ["msg"] = new DeepSeekSharp.Tokenization.ChatMessage("user", null),
        };
        Assert.Equal("a-b 7 user True", JinjaTemplate.Parse("{{ list | join('-') }} {{ map.k }} {{ msg.role }} {{ msg.content is none }}").Render(vars));
    }

    [Theory]
    [InlineData("{% macro m() %}x{% endmacro %}", "'{% macro %}' is not supported", 1, 4)]
    [InlineData("ab\n  {% include 'x' %}", "'{% include %}' is not supported", 2, 6)]
    [InlineData("{% frobnicate %}", "'{% frobnicate %}' is not a known statement", 1, 4)]
    [InlineData("{{ x | wordwrap(5) }}", "filter 'wordwrap' is not supported", 1, 6)]
    [InlineData("{{ x is divisibleby 3 }}", "test 'divisibleby' is not supported", 1, 6)]
    [InlineData("{{ 'a'.zfill(3) }}", "string method 'zfill' is not supported", 1, 8)]
    [InlineData("{{ cycler() }}", "function 'cycler' is not supported", 1, 4)]
    [InlineData("{% if x %}a", "template ended before {% elif %} or {% else %} or {% endif %}", 1, 12)]
    [InlineData("{% endif %}", "'{% endif %}' without a matching opening tag", 1, 4)]
    [InlineData("{{ 1 + }}", "expected an expression", 1, 8)]
    [InlineData("{{ 'abc }}", "string literal is never closed", 1, 4)]
    [InlineData("{% set x %}y{% endset %}", "block assignment", 1, 10)]
    [InlineData("{{ a.b }}", "'a' is undefined, so it has no attribute 'b'", 1, 6)]
    [InlineData("{{ 'a' + 1 }}", "'+' is not defined between str and int", 1, 8)]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", "needs 'x' to be a namespace()", 1, 16)]
    [InlineData("{{ x", "tag '{{' is never closed", 1, 1)]
    public void UnsupportedOrBrokenConstructsAreNamedWithTheirPosition(string template, string message, int line, int column)
    {
        var e = Assert.Throws<JinjaException>(() => JinjaTemplate.Parse(template).Render(new Dictionary<string, object?>()));
        Assert.Contains(message, e.Message);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.StartsWith($"chat template line {line}, column {column}: ", e.Message);
    }

    [Fact]
    public void JinjaErrorsAreDssExceptions() =>
        Assert.IsAssignableFrom<DssException>(Assert.Throws<JinjaException>(() => JinjaTemplate.Parse("{% macro %}")));

    [Fact]
    public void RaiseExceptionStopsRenderingWithTheTemplatesMessage()
    {
        var e = Assert.Throws<JinjaRaisedException>(() =>
            Render("{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}",
                ("messages", new[] { new Dictionary<string, object?> { ["role"] = "assistant" } })));
        Assert.Equal("chat template raised an error: Conversation roles must alternate", e.Message);
    }

    [Fact]
    public void TrimBlocksAndLstripBlocksCanBeTurnedOff()
    {
        const string t = "a\n  {% if true %}\nb{% endif %}";
        Assert.Equal("a\nb", JinjaTemplate.Parse(t).Render(new Dictionary<string, object?>()));
        Assert.Equal("a\n  \nb", JinjaTemplate.Parse(t, trimBlocks: false, lstripBlocks: false).Render(new Dictionary<string, object?>()));
    }
}

/// <summary>JSON test data as template values: objects, arrays, strings, integers (long), floats (double), bools, null.</summary>
internal static class JsonValues
{
    public static object? From(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => From(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Select(From).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) ? (object)l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
