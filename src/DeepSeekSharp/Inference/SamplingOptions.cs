namespace DeepSeekSharp.Inference;

/// <summary>
/// How to pick the next token and when to stop. Immutable; every property is validated when it is set
/// (also through <c>with</c>), so an out-of-range value fails with a <see cref="DssException"/> at once.
/// The pipeline a <see cref="Sampler"/> applies, in order: repetition penalty, presence/frequency penalties,
/// temperature, top-k, top-p, min-p, then a draw from what is left.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Temperature 0: always the (penalised) argmax.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Softmax temperature; 0 means greedy (argmax, ties to the lowest id). Must be finite and &gt;= 0.</summary>
    public double Temperature
    {
        get;
        init => field = double.IsFinite(value) && value >= 0 ? value : throw Bad("temperature", value, "must be a finite number >= 0 (0 = greedy)");
    } = 1.0;

    /// <summary>Keep only the k most probable tokens; 0 turns it off.</summary>
    public int TopK
    {
        get;
        init => field = value >= 0 ? value : throw Bad("top_k", value, "must be >= 0 (0 = off)");
    }

    /// <summary>Nucleus sampling: keep the smallest set of most probable tokens whose mass reaches top_p; 1 turns it off.</summary>
    public double TopP
    {
        get;
        init => field = value > 0 && value <= 1 ? value : throw Bad("top_p", value, "must be in (0, 1] (1 = off)");
    } = 1.0;

    /// <summary>Drop tokens whose probability is below min_p times the largest probability; 0 turns it off.</summary>
    public double MinP
    {
        get;
        init => field = value >= 0 && value <= 1 ? value : throw Bad("min_p", value, "must be in [0, 1] (0 = off)");
    }

    /// <summary>
    /// CTRL / Hugging Face repetition penalty over every token of prompt and generated text: a positive logit is
    /// divided by it, a negative one multiplied. 1 turns it off; must be finite and &gt; 0.
    /// </summary>
    public double RepetitionPenalty
    {
        get;
        init => field = double.IsFinite(value) && value > 0 ? value : throw Bad("repetition_penalty", value, "must be a finite number > 0 (1 = off)");
    } = 1.0;

    /// <summary>OpenAI presence penalty: subtracted once from the logit of every token generated so far. 0 = off.</summary>
    public double PresencePenalty
    {
        get;
        init => field = double.IsFinite(value) ? value : throw Bad("presence_penalty", value, "must be a finite number (0 = off)");
    }

    /// <summary>OpenAI frequency penalty: subtracted from a token's logit once per time it was generated. 0 = off.</summary>
    public double FrequencyPenalty
    {
        get;
        init => field = double.IsFinite(value) ? value : throw Bad("frequency_penalty", value, "must be a finite number (0 = off)");
    }

    /// <summary>Seed of the sampler's xoshiro256** generator; null draws a random seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Most tokens to generate; null = until a stop condition or the context limit.</summary>
    public int? MaxNewTokens
    {
        get;
        init => field = value is null or >= 0 ? value : throw Bad("max_new_tokens", value.Value, "must be >= 0");
    }

    /// <summary>Token ids that end generation (the stop token itself is not part of the text).</summary>
    public IReadOnlyList<int> StopTokenIds
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            foreach (int id in value)
                if (id < 0) throw Bad("stop_token_ids", id, "must hold token ids >= 0");
            field = value.ToArray();
        }
    } = [];

    /// <summary>Strings that end generation; the text before one is emitted, the string itself is not.</summary>
    public IReadOnlyList<string> StopStrings
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            foreach (string s in value)
                if (string.IsNullOrEmpty(s)) throw new DssException("sampling: stop strings must not be empty");
            field = value.ToArray();
        }
    } = [];

    /// <summary>True when temperature is 0 (argmax decoding).</summary>
    public bool IsGreedy => Temperature == 0;

    private static DssException Bad(string name, double value, string rule) =>
        new($"sampling: {name} {rule}, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
}
