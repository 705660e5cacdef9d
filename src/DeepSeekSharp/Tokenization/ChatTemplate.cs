using DeepSeekSharp.Tokenization.Jinja;

namespace DeepSeekSharp.Tokenization;

/// <summary>A model's chat template (the Jinja <c>chat_template</c> of tokenizer_config.json), parsed once.</summary>
public sealed class ChatTemplate
{
    private readonly JinjaTemplate _template;

    public ChatTemplate(string template) => _template = JinjaTemplate.Parse(template);

    /// <summary>The template of a tokenizer, or a clear error if tokenizer_config.json has none.</summary>
    public static ChatTemplate For(HfTokenizer tokenizer) =>
        new(tokenizer.ChatTemplate ?? throw new DssException("tokenizer_config.json has no chat_template"));

    /// <summary>The prompt text for a conversation (special tokens written out, e.g. "&lt;｜User｜&gt;").</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken,
        IReadOnlyDictionary<string, object?>? extraVariables = null)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = bosToken ?? "",
            ["eos_token"] = eosToken ?? "",
        };
        if (extraVariables is not null)
        {
            foreach (var (k, v) in extraVariables) variables[k] = v;
        }
        return _template.Render(variables);
    }

    /// <summary>Renders with a tokenizer's own bos/eos tokens.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, HfTokenizer tokenizer) =>
        Render(messages, addGenerationPrompt, tokenizer.BosToken, tokenizer.EosToken);
}
