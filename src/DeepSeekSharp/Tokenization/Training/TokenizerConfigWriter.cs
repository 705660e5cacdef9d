using System.Text.Json;

namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// Writes tokenizer_config.json for a trained tokenizer in DeepSeek-V3's style: BOS added, EOS not, a dedicated
/// pad token, and DeepSeek-V3's chat template without its tool-call branches (our vocabulary has no tool tokens):
/// system prompts joined by blank lines after BOS, "&lt;｜User｜&gt;" + text, "&lt;｜Assistant｜&gt;" + text + EOS,
/// and "&lt;｜Assistant｜&gt;" as the generation prompt. Like DeepSeek-V3's, the blank line is written as real
/// newline chars inside the Jinja string literal.
/// </summary>
public static class TokenizerConfigWriter
{
    public const string ChatTemplate =
        "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}" +
        "{% set ns = namespace(system_prompt='', is_first_sp=true) %}" +
        "{%- for message in messages %}{%- if message['role'] == 'system' %}" +
        "{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}" +
        "{%- else %}{% set ns.system_prompt = ns.system_prompt + '\n\n' + message['content'] %}{%- endif %}" +
        "{%- endif %}{%- endfor %}" +
        "{{bos_token}}{{ns.system_prompt}}" +
        "{%- for message in messages %}" +
        "{%- if message['role'] == 'user' %}{{'" + BpeSpecialTokens.User + "' + message['content']}}{%- endif %}" +
        "{%- if message['role'] == 'assistant' %}{{'" + BpeSpecialTokens.Assistant + "' + message['content'] + '" + BpeSpecialTokens.Eos + "'}}{%- endif %}" +
        "{%- endfor -%}" +
        "{% if add_generation_prompt %}{{'" + BpeSpecialTokens.Assistant + "'}}{% endif %}";

    public static byte[] ToBytes()
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, TokenizerJsonWriter.Options))
        {
            w.WriteStartObject();
            w.WriteBoolean("add_bos_token", true);
            w.WriteBoolean("add_eos_token", false);
            WriteToken(w, "bos_token", BpeSpecialTokens.Bos);
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            WriteToken(w, "eos_token", BpeSpecialTokens.Eos);
            w.WriteBoolean("legacy", true);
            WriteToken(w, "pad_token", BpeSpecialTokens.Pad);
            w.WriteStartObject("sp_model_kwargs");
            w.WriteEndObject();
            w.WriteNull("unk_token");
            w.WriteString("tokenizer_class", "LlamaTokenizerFast");
            w.WriteString("chat_template", ChatTemplate);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteToken(Utf8JsonWriter w, string name, string content)
    {
        w.WriteStartObject(name);
        w.WriteString("__type", "AddedToken");
        w.WriteString("content", content);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("normalized", true);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("single_word", false);
        w.WriteEndObject();
    }
}
