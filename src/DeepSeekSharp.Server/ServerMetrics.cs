using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Server;

/// <summary>Counters and latency histograms of the HTTP API, rendered with the batcher's state as Prometheus text.</summary>
public sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _duration = new();
    private long _promptTokens, _completionTokens;

    public Histogram TimeToFirstToken { get; } = new();

    public long PromptTokens => Interlocked.Read(ref _promptTokens);
    public long CompletionTokens => Interlocked.Read(ref _completionTokens);

    public void RecordRequest(string endpoint, int status, TimeSpan duration)
    {
        _requests.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);
        _duration.GetOrAdd(endpoint, _ => new Histogram()).Observe(duration.TotalSeconds);
    }

    public void RecordTokens(int prompt, int completion)
    {
        Interlocked.Add(ref _promptTokens, prompt);
        Interlocked.Add(ref _completionTokens, completion);
    }

    public string Render(BatcherMetrics b)
    {
        var sb = new StringBuilder();
        Header(sb, "dss_requests_total", "counter", "HTTP API requests by endpoint and status code");
        foreach (var ((endpoint, status), n) in _requests.OrderBy(kv => kv.Key.Endpoint, StringComparer.Ordinal).ThenBy(kv => kv.Key.Status))
            sb.Append(CultureInfo.InvariantCulture, $"dss_requests_total{{endpoint=\"{endpoint}\",code=\"{status}\"}} {n}\n");
        Counter(sb, "dss_prompt_tokens_total", "Prompt tokens of answered requests", PromptTokens);
        Counter(sb, "dss_completion_tokens_total", "Tokens generated for answered requests", CompletionTokens);
        Gauge(sb, "dss_queue_length", "Requests waiting for a batch slot or cache budget", b.QueueLength);
        Gauge(sb, "dss_active_sequences", "Sequences in the running batch", b.ActiveSequences);
        Gauge(sb, "dss_cache_bytes_in_use", "Bytes of latent cache held by active sequences", b.CacheBytesInUse);
        Gauge(sb, "dss_cache_budget_bytes", "Bytes the latent caches may hold together", b.CacheBudgetBytes);
        Counter(sb, "dss_batch_steps_total", "Forward passes of the batcher", b.Steps);
        Counter(sb, "dss_engine_prompt_tokens_total", "Prompt tokens prefilled by the batcher", b.PromptTokens);
        Counter(sb, "dss_engine_generated_tokens_total", "Tokens sampled by the batcher", b.GeneratedTokens);
        Counter(sb, "dss_mtp_drafted_tokens_total", "MTP speculative drafts proposed", b.DraftedTokens);
        Counter(sb, "dss_mtp_accepted_tokens_total", "MTP speculative drafts the main model accepted", b.AcceptedDrafts);
        Header(sb, "dss_mtp_acceptance_rate", "gauge", "Accepted / proposed MTP drafts since start (0 when none)");
        sb.Append(CultureInfo.InvariantCulture, $"dss_mtp_acceptance_rate {(b.DraftedTokens > 0 ? (double)b.AcceptedDrafts / b.DraftedTokens : 0):0.####}\n");
        Header(sb, "dss_sequences_total", "counter", "Sequences that left the batcher, by outcome");
        sb.Append(CultureInfo.InvariantCulture, $"dss_sequences_total{{outcome=\"completed\"}} {b.Completed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dss_sequences_total{{outcome=\"cancelled\"}} {b.Cancelled}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dss_sequences_total{{outcome=\"failed\"}} {b.Failed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dss_sequences_total{{outcome=\"refused\"}} {b.Refused}\n");
        Header(sb, "dss_request_duration_seconds", "histogram", "Time from request to the end of the response, by endpoint");
        foreach (var (endpoint, h) in _duration.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            h.Write(sb, "dss_request_duration_seconds", $"endpoint=\"{endpoint}\"");
        Header(sb, "dss_time_to_first_token_seconds", "histogram", "Time from request to the first generated text (queueing and prefill included)");
        TimeToFirstToken.Write(sb, "dss_time_to_first_token_seconds", "");
        return sb.ToString();
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Counter(StringBuilder sb, string name, string help, long value)
    {
        Header(sb, name, "counter", help);
        sb.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
    }

    private static void Gauge(StringBuilder sb, string name, string help, long value)
    {
        Header(sb, name, "gauge", help);
        sb.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
    }
}
