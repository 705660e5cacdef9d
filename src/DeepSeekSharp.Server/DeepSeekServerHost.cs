using System.Net;
using DeepSeekSharp.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSeekSharp.Server;

/// <summary>The thin host: a Kestrel web application that serves <see cref="DeepSeekApi"/> on one address.</summary>
public static class DeepSeekServerHost
{
    /// <summary>Builds (does not start) the application; <see cref="DeepSeekServerOptions.Port"/> 0 picks a free port.</summary>
    public static WebApplication Build(DeepSeekChatClient client, DeepSeekServerOptions options, LogLevel logLevel = LogLevel.Warning)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is < 0 or > 65535) throw new DssException($"port {options.Port} is not in 0..65535");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(logLevel);
        builder.WebHost.ConfigureKestrel(k =>
        {
            switch (options.Host)
            {
                case "localhost":
                    k.ListenLocalhost(options.Port);
                    break;
                case "*" or "0.0.0.0" or "+":
                    k.ListenAnyIP(options.Port);
                    break;
                default:
                    if (!IPAddress.TryParse(options.Host, out var ip))
                        throw new DssException($"--host '{options.Host}' is not an IP address, 'localhost' or '*'");
                    k.Listen(ip, options.Port);
                    break;
            }
        });
        var app = builder.Build();
        app.MapDeepSeekSharp(client, options);
        return app;
    }

    /// <summary>The address a started application listens on, e.g. http://127.0.0.1:53011/.</summary>
    public static Uri BaseAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        string first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the server is not listening: start it first");
        return new Uri(first.EndsWith('/') ? first : first + "/");
    }
}
