using System.Text.Json;
using DeepSeekSharp.Training;

namespace DeepSeekSharp.Tests;

public class TrainingExportTests
{
    [Fact]
    public void ExportedTokenizerConfigAddsNoBos()
    {
        var bytes = HfExport.WithoutBos("""{"add_bos_token": true, "bos_token": "<s>", "chat_template": "{{ bos_token }}"}""");
        using var doc = JsonDocument.Parse(bytes);
        Assert.False(doc.RootElement.GetProperty("add_bos_token").GetBoolean());
        Assert.Equal("<s>", doc.RootElement.GetProperty("bos_token").GetString());
        Assert.Throws<DssException>(() => HfExport.WithoutBos("[1]"));

        // Special tokens and template text stay as written (UTF-8, no \uXXXX escapes), as in Hugging Face's files.
        string text = System.Text.Encoding.UTF8.GetString(HfExport.WithoutBos("""{"bos_token": "<｜begin▁of▁sentence｜>", "chat_template": "{{'<｜User｜>' + m}}"}"""));
        Assert.Contains("\"<｜begin▁of▁sentence｜>\"", text);
        Assert.Contains("{{'<｜User｜>' + m}}", text);
    }
}
