using System.Globalization;

namespace Sarthe.DevHost;

/// <summary>
/// The whole backend (tools/DevHost, built) as a process of its own on a fixed port, with the run's storage, Graph
/// and master secret, so that it can be killed with SIGKILL and started again exactly as it was: what a Functions
/// instance that crashes and comes back does (the chaos run); and so that its CPU time is its own, apart from the
/// clients' (the flood's CPU per request). Every incarnation appends to the same log.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly IReadOnlyList<string> _args;
    private readonly string _logPath;
    private readonly HttpClient _probe;
    private ChildProcess? _current;

    private HostProcess(int port, IReadOnlyList<string> args, string logPath)
    {
        BaseUrl = new Uri($"http://localhost:{port}/");
        _args = args;
        _logPath = logPath;
        _probe = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
    }

    public Uri BaseUrl { get; }

    public string LogPath => _logPath;

    /// <summary>1 for the first start, then one more per restart.</summary>
    public int Incarnation { get; private set; }

    public bool IsRunning => _current is { HasExited: false };

    /// <summary>The running incarnation's process id (its CPU time is read from it).</summary>
    public int ProcessId => _current?.Id ?? throw new InvalidOperationException("The host is not running.");

    /// <param name="settings">Configuration settings, passed as <c>--Key value</c>, as to any ASP.NET Core app.</param>
    public static async Task<HostProcess> StartAsync(string folder, int port, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var args = new List<string> { BuiltTools.Dll("DevHost"), "--Port", port.ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in settings)
        {
            args.Add("--" + key);
            args.Add(value);
        }

        var host = new HostProcess(port, args, Path.Combine(folder, "host.log"));
        try
        {
            await host.StartOnceAsync(cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a new incarnation and waits until it answers HTTP; returns when the process was started.</summary>
    public async Task<DateTimeOffset> StartOnceAsync(CancellationToken cancellationToken)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The host is already running.");
        }

        Incarnation++;
        var started = DateTimeOffset.UtcNow;
        // Production, as in Azure: the WebJobs SDK shortens its singleton lease in Development.
        _current = ChildProcess.Start($"host#{Incarnation}", BuiltTools.Dotnet(), _args, _logPath,
            new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "Production" });
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_current.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The dev host did not start: {_current.Tail}");
            }

            try
            {
                // Any answer will do (503 while storage is paused): Kestrel is up, the triggers start with it.
                using var response = await _probe.GetAsync("api/health", cancellationToken);
                return started;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>kill -9: the process ends mid-whatever, holding its leases, its requests unanswered.</summary>
    public async Task KillAsync()
    {
        if (_current is null)
        {
            return;
        }

        await _current.KillAsync();
        await _current.DisposeAsync();
        _current = null;
    }

    public async ValueTask DisposeAsync()
    {
        _probe.Dispose();
        if (_current is not null)
        {
            await _current.DisposeAsync();
        }
    }
}
