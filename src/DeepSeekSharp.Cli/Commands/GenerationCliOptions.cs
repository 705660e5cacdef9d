using System.CommandLine;
using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>The sampling, context and speculation options of `dss generate` and `dss chat`.</summary>
internal sealed class GenerationCliOptions
{
    public Option<int?> MaxTokens { get; } = new("--max-tokens", "-n") { Description = "Maximum new tokens (default: 128 for generate, until end-of-sequence for chat)" };
    public Option<double> Temperature { get; } = new("--temperature", "-t") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0.0 };
    public Option<double> TopP { get; } = new("--top-p") { Description = "Nucleus sampling: keep the smallest set with this probability mass (1 = off)", DefaultValueFactory = _ => 1.0 };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the K most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
    public Option<double> MinP { get; } = new("--min-p") { Description = "Drop tokens below min-p x the top probability (0 = off)", DefaultValueFactory = _ => 0.0 };
    public Option<double> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "Penalty on tokens already seen (1 = off)", DefaultValueFactory = _ => 1.0 };
    public Option<double> PresencePenalty { get; } = new("--presence-penalty") { Description = "OpenAI presence penalty (0 = off)", DefaultValueFactory = _ => 0.0 };
    public Option<double> FrequencyPenalty { get; } = new("--frequency-penalty") { Description = "OpenAI frequency penalty (0 = off)", DefaultValueFactory = _ => 0.0 };
    public Option<int?> Seed { get; } = new("--seed") { Description = "Random seed for reproducible sampling" };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop string (repeatable); generation ends before it", AllowMultipleArgumentsPerToken = false };
    public Option<int?> Ctx { get; } = new("--ctx") { Description = "Context length (default: the model's max_position_embeddings)" };
    public Option<string> Speculative { get; } = new("--speculative")
    {
        Description = "MTP speculative decoding: mtp, off, or both (runs plain then speculative and reports both speeds); default mtp when the model has MTP layers",
    };
    public Option<string> CacheType { get; } = new("--cache-type") { Description = "Latent KV cache dtype: bf16 or f32", DefaultValueFactory = _ => "bf16" };

    public IEnumerable<Option> All => new Option[] { MaxTokens, Temperature, TopP, TopK, MinP, RepetitionPenalty, PresencePenalty, FrequencyPenalty, Seed, Stop, Ctx, Speculative, CacheType };

    public SamplingOptions Sampling(ParseResult p, int? defaultMaxTokens) => new()
    {
        Temperature = p.GetValue(Temperature),
        TopP = p.GetValue(TopP),
        TopK = p.GetValue(TopK),
        MinP = p.GetValue(MinP),
        RepetitionPenalty = p.GetValue(RepetitionPenalty),
        PresencePenalty = p.GetValue(PresencePenalty),
        FrequencyPenalty = p.GetValue(FrequencyPenalty),
        Seed = p.GetValue(Seed),
        MaxNewTokens = p.GetValue(MaxTokens) ?? defaultMaxTokens,
        StopStrings = p.GetValue(Stop) ?? Array.Empty<string>(),
    };

    public CacheDType Cache(ParseResult p) => p.GetValue(CacheType)?.ToLowerInvariant() switch
    {
        "bf16" or null => CacheDType.BF16,
        "f32" => CacheDType.F32,
        var s => throw new DssException($"--cache-type '{s}' is not one of bf16, f32"),
    };

    /// <summary>null = default (on when the model has MTP), true = mtp, false = off; "both" handled by the caller.</summary>
    public bool? SpeculativeMode(ParseResult p, out bool both)
    {
        both = false;
        switch (p.GetValue(Speculative)?.ToLowerInvariant())
        {
            case null: return null;
            case "mtp" or "on": return true;
            case "off": return false;
            case "both": both = true; return true;
            case var s: throw new DssException($"--speculative '{s}' is not one of mtp, off, both");
        }
    }
}
