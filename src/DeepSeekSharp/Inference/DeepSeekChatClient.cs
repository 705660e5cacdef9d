using System.Runtime.CompilerServices;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Tokenization;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using TemplateMessage = DeepSeekSharp.Tokenization.ChatMessage;

namespace DeepSeekSharp.Inference;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> over a local model: messages go through the model's chat
/// template and tokenizer, generation runs in the shared <see cref="Batcher"/> (so concurrent callers share each
/// decode step), text streams out UTF-8-safe and stops at stop strings. Streaming is the primitive; the
/// non-streaming call collects it. Usage (input/output tokens) and the finish reason come with the last update.
/// </summary>
public sealed class DeepSeekChatClient : IChatClient
{
    private readonly bool _ownsBatcher;
    private readonly Lazy<ChatTemplate> _template;

    public DeepSeekChatClient(Batcher batcher, HfTokenizer tokenizer, string modelId, bool ownsBatcher = false)
    {
        ArgumentNullException.ThrowIfNull(batcher);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        if (tokenizer.VocabSize > batcher.Model.Config.VocabSize)
            throw new DssException($"the tokenizer knows {tokenizer.VocabSize} ids but the model's vocabulary has {batcher.Model.Config.VocabSize}");
        Batcher = batcher;
        Tokenizer = tokenizer;
        ModelId = modelId;
        _ownsBatcher = ownsBatcher;
        _template = new Lazy<ChatTemplate>(() => ChatTemplate.For(tokenizer));
    }

    /// <summary>Loads model and tokenizer from one folder; the client owns (and disposes) both.</summary>
    public static DeepSeekChatClient Load(string modelDir, BatcherOptions? options = null, string? modelId = null)
    {
        var tokenizer = HfTokenizer.Load(modelDir);
        var model = Transformer.Load(modelDir);
        try
        {
            var batcher = new Batcher(model, options);
            return new DeepSeekChatClient(batcher, tokenizer, modelId ?? DefaultModelId(modelDir), ownsBatcher: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The folder's name, e.g. "DeepSeek-V3" for /models/DeepSeek-V3/.</summary>
    public static string DefaultModelId(string modelDir) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir)));

    public Batcher Batcher { get; }
    public HfTokenizer Tokenizer { get; }
    public string ModelId { get; }

    /// <summary>The prompt tokens of a conversation: chat template (with the assistant's turn opened), then tokenizer.</summary>
    public int[] EncodeChat(IEnumerable<AiChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.Select(m => new TemplateMessage(m.Role.Value, m.Text)).ToList();
        if (list.Count == 0) throw new DssException("no messages: give at least one");
        string text = _template.Value.Render(list, addGenerationPrompt: true, Tokenizer);
        return Tokenizer.Encode(text, addSpecialTokens: false);
    }

    /// <summary>ChatOptions -> <see cref="SamplingOptions"/> (temperature defaults to 1, as in OpenAI's API).</summary>
    public SamplingOptions ToSamplingOptions(ChatOptions? options)
    {
        var s = new SamplingOptions();
        if (options is null) return WithEos(s);
        if (options.Temperature is float t) s = s with { Temperature = t };
        if (options.TopP is float p) s = s with { TopP = p };
        if (options.TopK is int k) s = s with { TopK = k };
        if (options.MaxOutputTokens is int m) s = s with { MaxNewTokens = m };
        if (options.PresencePenalty is float pp) s = s with { PresencePenalty = pp };
        if (options.FrequencyPenalty is float fp) s = s with { FrequencyPenalty = fp };
        if (options.StopSequences is { Count: > 0 } stops) s = s with { StopStrings = stops.ToArray() };
        if (options.Seed is long seed)
            s = s with { Seed = seed is >= int.MinValue and <= int.MaxValue ? (int)seed : throw new DssException($"sampling: seed {seed} does not fit in 32 bits") };
        return WithEos(s);
    }

    // The tokenizer's end-of-sequence token also ends generation when the config names another one.
    private SamplingOptions WithEos(SamplingOptions s) =>
        Tokenizer.EosTokenId is int eos && eos != Batcher.Model.Config.EosTokenId && eos < Batcher.Model.Config.VocabSize && !s.StopTokenIds.Contains(eos)
            ? s with { StopTokenIds = [.. s.StopTokenIds, eos] }
            : s;

    /// <summary>
    /// Generates from prompt tokens and streams the text: UTF-8-safe pieces (special tokens skipped), cut before
    /// the first stop string. The last update carries the finish reason and token counts. Shared by chat and
    /// plain completions; cancellation is checked every token and frees the sequence at once.
    /// </summary>
    public async IAsyncEnumerable<ChatClientTextUpdate> GenerateTextAsync(IReadOnlyList<int> prompt, SamplingOptions options,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var stats = new GenerationStats();
        var decoder = Tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        var stops = new StopSequenceMatcher(options.StopStrings);
        FinishReason? stoppedByString = null;
        await foreach (int token in Batcher.GenerateAsync(prompt, options, stats, ct).ConfigureAwait(false))
        {
            string piece = decoder.Add(token);
            if (piece.Length == 0) continue;
            var m = stops.Push(piece);
            if (m.Text.Length > 0) yield return new ChatClientTextUpdate(m.Text, null, prompt.Count, stats.GeneratedTokens);
            if (m.Stopped)
            {
                stoppedByString = FinishReason.Stop;
                break; // leaving the loop cancels the sequence in the batcher
            }
        }
        ct.ThrowIfCancellationRequested();
        if (stoppedByString is null)
        {
            var tail = stops.Push(decoder.Flush());
            string rest = tail.Text + (tail.Stopped ? "" : stops.Flush());
            if (tail.Stopped) stoppedByString = FinishReason.Stop;
            if (rest.Length > 0) yield return new ChatClientTextUpdate(rest, null, prompt.Count, stats.GeneratedTokens);
        }
        var reason = stoppedByString ?? stats.FinishReason ?? FinishReason.Stop;
        yield return new ChatClientTextUpdate("", reason, prompt.Count, stats.GeneratedTokens);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = EncodeChat(messages);
        var sampling = ToSamplingOptions(options);
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        await foreach (var u in GenerateTextAsync(prompt, sampling, cancellationToken).ConfigureAwait(false))
        {
            var update = new ChatResponseUpdate(ChatRole.Assistant, u.Text.Length > 0 ? u.Text : null)
            {
                ResponseId = id,
                MessageId = id,
                ModelId = ModelId,
                CreatedAt = created,
            };
            if (u.FinishReason is { } r)
            {
                update.FinishReason = r == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;
                update.Contents.Add(new UsageContent(new UsageDetails
                {
                    InputTokenCount = u.PromptTokens,
                    OutputTokenCount = u.CompletionTokens,
                    TotalTokenCount = u.PromptTokens + u.CompletionTokens,
                }));
            }
            yield return update;
        }
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return new ChatClientMetadata("DeepSeekSharp", null, ModelId);
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(Batcher)) return Batcher;
        if (serviceType.IsInstanceOfType(Tokenizer)) return Tokenizer;
        return null;
    }

    public void Dispose()
    {
        if (!_ownsBatcher) return;
        Batcher.Dispose();
        Batcher.Model.Dispose();
    }
}
