namespace DeepSeekSharp.Server;

/// <summary>How the HTTP API is exposed.</summary>
public sealed record DeepSeekServerOptions
{
    /// <summary>Address to listen on: an IP address, "localhost", or "*" / "0.0.0.0" for every interface.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (see <see cref="DeepSeekServerHost.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, /v1/* requires "Authorization: Bearer KEY" (401 otherwise); /health and /metrics stay open.</summary>
    public string? ApiKey { get; init; }
}
