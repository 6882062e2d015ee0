using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Sarthe.Tools;

namespace Sarthe.GraphEmulator;

/// <summary>The emulator on its own Kestrel listener, started in-process by the dev host, tests and benchmarks.</summary>
public sealed class RunningGraphEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningGraphEmulator(WebApplication app, GraphEmulatorState state, Uri root)
    {
        _app = app;
        State = state;
        Root = root;
    }

    public GraphEmulatorState State { get; }

    /// <summary>http://localhost:port (no path).</summary>
    public Uri Root { get; }

    /// <summary>What a Graph client takes as its base URL.</summary>
    public string GraphBaseUrl => new Uri(Root, "v1.0").ToString();

    /// <param name="url">Listen address; port 0 picks a free port.</param>
    /// <param name="time">The emulator's clock; tests pass one they move by hand. Default: the system clock.</param>
    public static async Task<RunningGraphEmulator> StartAsync(GraphEmulatorOptions options, string url = "http://localhost:0", TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url.Replace("://localhost:", "://127.0.0.1:", StringComparison.Ordinal));
        var state = new GraphEmulatorState(options, time ?? TimeProvider.System);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        var app = builder.Build();
        app.MapGraphEmulator(state);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        // Clients call "localhost": Kiota only sends tokens over plain HTTP to localhost.
        var port = new Uri(address).Port;
        return new RunningGraphEmulator(app, state, new Uri($"http://localhost:{port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
