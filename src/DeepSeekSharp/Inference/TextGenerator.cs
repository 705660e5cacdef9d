using System.Runtime.CompilerServices;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Inference;

/// <summary>
/// Text on top of a <see cref="Generator"/>: streams UTF-8-safe text pieces (never a broken multi-byte sequence) and
/// ends at a stop string, which is not emitted. Special tokens are left out of the text.
/// </summary>
public sealed class TextGenerator
{
    public Generator Generator { get; }
    public HfTokenizer Tokenizer { get; }

    public TextGenerator(Generator generator, HfTokenizer tokenizer)
    {
        Generator = generator;
        Tokenizer = tokenizer;
    }

    /// <summary>Encodes a plain-text prompt (with BOS when the tokenizer config asks for it).</summary>
    public int[] EncodePrompt(string text) => Tokenizer.Encode(text, addSpecialTokens: true);

    /// <summary>Renders a conversation with the chat template (with the generation prompt) and encodes it.</summary>
    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages)
    {
        if (Tokenizer.ChatTemplate is null) throw new DssException("the tokenizer has no chat_template in tokenizer_config.json");
        string rendered = ChatTemplate.For(Tokenizer).Render(messages, addGenerationPrompt: true, Tokenizer);
        return Tokenizer.Encode(rendered, addSpecialTokens: false);
    }

    public async IAsyncEnumerable<string> GenerateAsync(IReadOnlyList<int> prompt, SamplingOptions options, GenerationStats? stats = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        stats ??= new GenerationStats();
        var decoder = Tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        var stops = new StopSequenceMatcher(options.StopStrings);
        await foreach (var id in Generator.GenerateAsync(prompt, options, stats, ct).WithCancellation(ct))
        {
            var m = stops.Push(decoder.Add(id));
            if (m.Text.Length > 0) yield return m.Text;
            if (m.Stopped)
            {
                stats.FinishReason = FinishReason.Stop;
                yield break;
            }
        }
        var tail = stops.Push(decoder.Flush());
        if (tail.Text.Length > 0) yield return tail.Text;
        if (tail.Stopped) { stats.FinishReason = FinishReason.Stop; yield break; }
        string rest = stops.Flush();
        if (rest.Length > 0) yield return rest;
    }
}
