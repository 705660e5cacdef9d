using System.Text;
using System.Text.Json;
using DeepSeekSharp.Inference;
using Microsoft.Extensions.AI;

namespace DeepSeekSharp.Server;

/// <summary>A request checked and turned into what the engine runs.</summary>
internal sealed record ValidatedRequest(int[] Prompt, SamplingOptions Sampling, bool Stream, bool IncludeUsage);

/// <summary>Checks OpenAI request fields (400 for invalid values, 404 for another model) and builds prompt and sampling.</summary>
internal static class RequestValidator
{
    public static ValidatedRequest Chat(ChatCompletionRequest r, DeepSeekChatClient client)
    {
        CheckCommon(r, client);
        if (r.Messages is null || r.Messages.Count == 0) throw ApiException.Invalid("'messages' must be a non-empty array", "messages");
        var messages = new List<Microsoft.Extensions.AI.ChatMessage>(r.Messages.Count);
        for (int i = 0; i < r.Messages.Count; i++)
        {
            var m = r.Messages[i] ?? throw ApiException.Invalid($"messages[{i}] is null", $"messages[{i}]");
            string role = m.Role switch
            {
                "system" or "developer" => "system",
                "user" or "assistant" or "tool" => m.Role,
                null => throw ApiException.Invalid($"messages[{i}] has no 'role'", $"messages[{i}].role"),
                _ => throw ApiException.Invalid($"messages[{i}].role '{m.Role}' is not one of system, developer, user, assistant, tool", $"messages[{i}].role"),
            };
            messages.Add(new Microsoft.Extensions.AI.ChatMessage(new ChatRole(role), ContentText(m.Content, i)));
        }
        int? max = r.MaxCompletionTokens ?? r.MaxTokens;
        var sampling = Sampling(r, client, max, r.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens");
        int[] prompt = Engine(() => client.EncodeChat(messages));
        CheckLength(prompt, client);
        return new ValidatedRequest(prompt, sampling, r.Stream == true, r.StreamOptions?.IncludeUsage == true);
    }

    public static ValidatedRequest Completion(CompletionRequest r, DeepSeekChatClient client)
    {
        CheckCommon(r, client);
        int[] prompt = r.Prompt is { } p ? PromptTokens(p, client) : throw ApiException.Invalid("'prompt' is required", "prompt");
        if (prompt.Length == 0) throw ApiException.Invalid("'prompt' is empty", "prompt");
        var sampling = Sampling(r, client, r.MaxTokens ?? 16, "max_tokens");
        CheckLength(prompt, client);
        return new ValidatedRequest(prompt, sampling, r.Stream == true, r.StreamOptions?.IncludeUsage == true);
    }

    private static void CheckCommon(OpenAiRequest r, DeepSeekChatClient client)
    {
        if (string.IsNullOrEmpty(r.Model)) throw ApiException.Invalid("you must provide a model parameter", "model");
        if (r.Model != client.ModelId)
            throw new ApiException(404, $"The model '{r.Model}' does not exist; this server serves '{client.ModelId}'", param: "model", code: "model_not_found");
        if (r.N is { } n && n != 1) throw ApiException.Invalid($"n = {n} is not supported: only n = 1", "n");
        if (r.Temperature is { } t && !(t >= 0 && t <= 2)) throw ApiException.Invalid($"temperature {t} is out of range: it must be in [0, 2]", "temperature");
        if (r.TopP is { } p && !(p > 0 && p <= 1)) throw ApiException.Invalid($"top_p {p} is out of range: it must be in (0, 1]", "top_p");
        if (r.TopK is { } k && k < 0) throw ApiException.Invalid($"top_k {k} must be >= 0", "top_k");
        if (r.PresencePenalty is { } pp && !(pp >= -2 && pp <= 2)) throw ApiException.Invalid($"presence_penalty {pp} is out of range: it must be in [-2, 2]", "presence_penalty");
        if (r.FrequencyPenalty is { } fp && !(fp >= -2 && fp <= 2)) throw ApiException.Invalid($"frequency_penalty {fp} is out of range: it must be in [-2, 2]", "frequency_penalty");
        if (r.Seed is { } s && (s < int.MinValue || s > int.MaxValue)) throw ApiException.Invalid($"seed {s} does not fit in 32 bits", "seed");
    }

    private static SamplingOptions Sampling(OpenAiRequest r, DeepSeekChatClient client, int? max, string maxName)
    {
        if (max is { } m && m < 1) throw ApiException.Invalid($"{maxName} must be at least 1, got {m}", maxName);
        var options = new ChatOptions
        {
            Temperature = (float?)r.Temperature,
            TopP = (float?)r.TopP,
            TopK = r.TopK,
            MaxOutputTokens = max,
            Seed = r.Seed,
            PresencePenalty = (float?)r.PresencePenalty,
            FrequencyPenalty = (float?)r.FrequencyPenalty,
            StopSequences = StopStrings(r.Stop),
        };
        var sampling = Engine(() => client.ToSamplingOptions(options));
        // Exact doubles rather than the float round trip of ChatOptions.
        return sampling with { Temperature = r.Temperature ?? 1.0, TopP = r.TopP ?? 1.0 };
    }

    private static List<string>? StopStrings(JsonElement? stop)
    {
        if (stop is not { } e || e.ValueKind == JsonValueKind.Null) return null;
        var list = new List<string>();
        if (e.ValueKind == JsonValueKind.String) list.Add(e.GetString()!);
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in e.EnumerateArray())
                list.Add(s.ValueKind == JsonValueKind.String ? s.GetString()! : throw ApiException.Invalid("'stop' must hold strings", "stop"));
        }
        else throw ApiException.Invalid("'stop' must be a string or an array of strings", "stop");
        if (list.Any(string.IsNullOrEmpty)) throw ApiException.Invalid("'stop' strings must not be empty", "stop");
        return list;
    }

    private static string ContentText(JsonElement? content, int i)
    {
        if (content is not { } c || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array)
            throw ApiException.Invalid($"messages[{i}].content must be a string or an array of content parts", $"messages[{i}].content");
        var sb = new StringBuilder();
        foreach (var part in c.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw ApiException.Invalid($"messages[{i}].content parts must be objects with a 'type'", $"messages[{i}].content");
            if (type.GetString() != "text")
                throw ApiException.Invalid($"messages[{i}].content part of type '{type.GetString()}' is not supported (only text)", $"messages[{i}].content");
            if (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw ApiException.Invalid($"messages[{i}].content text part has no 'text' string", $"messages[{i}].content");
            sb.Append(text.GetString());
        }
        return sb.ToString();
    }

    private static int[] PromptTokens(JsonElement p, DeepSeekChatClient client)
    {
        switch (p.ValueKind)
        {
            case JsonValueKind.String:
                return Engine(() => client.Tokenizer.Encode(p.GetString()!, addSpecialTokens: true));
            case JsonValueKind.Array:
                int n = p.GetArrayLength();
                if (n == 1 && p[0].ValueKind == JsonValueKind.String) return PromptTokens(p[0], client);
                if (n > 0 && p.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
                {
                    int V = client.Batcher.Model.Config.VocabSize;
                    return p.EnumerateArray().Select(e => e.TryGetInt32(out int id) && id >= 0 && id < V ? id
                        : throw ApiException.Invalid($"prompt token {e} is not an id of the vocabulary (0..{V - 1})", "prompt")).ToArray();
                }
                if (n == 1 && p[0].ValueKind == JsonValueKind.Array) return PromptTokens(p[0], client);
                throw ApiException.Invalid("'prompt' must be a string, an array of one string or an array of token ids (one prompt per request)", "prompt");
            default:
                throw ApiException.Invalid("'prompt' must be a string or an array", "prompt");
        }
    }

    private static void CheckLength(int[] prompt, DeepSeekChatClient client)
    {
        int ctx = client.Batcher.ContextLength;
        if (prompt.Length > ctx)
            throw new ApiException(400, $"This model's maximum context length is {ctx} tokens, but the prompt has {prompt.Length} tokens",
                param: "messages", code: "context_length_exceeded");
    }

    // Engine errors (bad sampling values, template problems) are the caller's: 400.
    private static T Engine<T>(Func<T> f)
    {
        try
        {
            return f();
        }
        catch (DssException e)
        {
            throw ApiException.Invalid(e.Message);
        }
    }
}
