using System.Text.Json;
using DeepSeekSharp.Tokenization;
using DeepSeekSharp.Tokenization.Jinja;

namespace DeepSeekSharp.Tests;

/// <summary>
/// The DeepSeek chat templates rendered by our Jinja subset against reference renderings: reference.json's two
/// conversations (Hugging Face, DeepSeek-V3) and TestData/ChatTemplates/expected.json (jinja2; V2, V3, R1-style).
/// </summary>
public class ChatTemplateTests
{
    private static string DataDir => Path.Combine(Fixtures.RepoRoot, "tests", "DeepSeekSharp.Tests", "TestData", "ChatTemplates");

    public static TheoryData<int> ReferenceChats()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.ReferencePath));
        var data = new TheoryData<int>();
        for (int i = 0; i < doc.RootElement.GetProperty("chat").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    [Fact]
    public void ReferenceHasTwoChats() => Assert.Equal(2, ReferenceChats().Count);

    [Theory]
    [MemberData(nameof(ReferenceChats))]
    public void RendersReferenceChatOfDeepSeekV3(int i)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.ReferencePath));
        var chat = doc.RootElement.GetProperty("chat")[i];
        var messages = chat.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()))
            .ToList();
        var tok = TokenizerTestData.Tokenizer;
        string rendered = ChatTemplate.For(tok).Render(messages, addGenerationPrompt: true, tok);
        Assert.Equal(chat.GetProperty("rendered").GetString(), rendered);
    }

    public static TheoryData<int> ExpectedRenderings()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(DataDir, "expected.json")));
        var data = new TheoryData<int>();
        for (int i = 0; i < doc.RootElement.GetProperty("renderings").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    private static string TemplateText(string name) => name switch
    {
        "V2" => File.ReadAllText(Path.Combine(DataDir, "deepseek-v2.jinja")),
        "R1" => File.ReadAllText(Path.Combine(DataDir, "deepseek-r1.jinja")),
        "V3" => TokenizerTestData.Tokenizer.ChatTemplate!,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(ExpectedRenderings))]
    public void RendersLikeJinja2(int i)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(DataDir, "expected.json")));
        var r = doc.RootElement.GetProperty("renderings")[i];
        var messages = JsonValues.From(doc.RootElement.GetProperty("conversations").GetProperty(r.GetProperty("conversation").GetString()!));
        var template = JinjaTemplate.Parse(TemplateText(r.GetProperty("template").GetString()!));
        string rendered = template.Render(new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = r.GetProperty("add_generation_prompt").GetBoolean(),
            ["bos_token"] = "<｜begin▁of▁sentence｜>",
            ["eos_token"] = "<｜end▁of▁sentence｜>",
        });
        Assert.Equal(r.GetProperty("rendered").GetString(), rendered);
    }

    [Fact]
    public void RenderedPromptEncodesSpecialTokensAsSingleIds()
    {
        var tok = TokenizerTestData.Tokenizer;
        string prompt = ChatTemplate.For(tok).Render([new ChatMessage("user", "Hi")], addGenerationPrompt: true, tok);
        int[] ids = tok.Encode(prompt);
        Assert.Equal(tok.BosTokenId, ids[0]);
        Assert.Equal(tok.TokenToId("<｜User｜>"), ids[1]);
        Assert.Equal(tok.TokenToId("<｜Assistant｜>"), ids[^1]);
        Assert.Equal(prompt, tok.Decode(ids));
    }

    [Fact]
    public void V2TemplateWithoutGenerationPromptEndsAfterUserTurn()
    {
        var t = new ChatTemplate(TemplateText("V2"));
        Assert.Equal("<s>User: Hi\n\n", t.Render([new ChatMessage("user", "Hi")], addGenerationPrompt: false, "<s>", "</s>"));
    }

    [Fact]
    public void MissingTemplateIsAClearError()
    {
        using var dir = new Fixtures.TempDir();
        File.Copy(Path.Combine(TokenizerTestData.Dir, "tokenizer.json"), dir.File("tokenizer.json"));
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"bos_token": "<｜begin▁of▁sentence｜>"}""");
        var e = Assert.Throws<DssException>(() => ChatTemplate.For(HfTokenizer.Load(dir.Path)));
        Assert.Contains("no chat_template", e.Message);
    }
}
