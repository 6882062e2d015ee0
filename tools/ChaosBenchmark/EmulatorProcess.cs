using System.Globalization;
using System.Net.Http.Json;
using Sarthe.DevHost;
using Sarthe.GraphEmulator;

namespace Sarthe.ChaosBenchmark;

/// <summary>The Graph emulator as a process of its own (tools/GraphEmulator), driven through its /_emulator routes.</summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);
    private readonly ChildProcess _process;
    private readonly HttpClient _http;

    private EmulatorProcess(ChildProcess process, Uri root)
    {
        _process = process;
        Root = root;
        _http = new HttpClient { BaseAddress = root, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Root { get; }

    /// <summary>What the product takes as Graph:BaseUrl (localhost: Kiota sends tokens over plain HTTP only there).</summary>
    public string GraphBaseUrl => new Uri(Root, "v1.0").ToString();

    public static async Task<EmulatorProcess> StartAsync(string folder, double timeScale, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var root = new Uri($"http://localhost:{port}/");
        var process = ChildProcess.Start("graph-emulator", BuiltTools.Dotnet(),
            [BuiltTools.Dll("GraphEmulator"), "--urls", root.ToString().TrimEnd('/'), "--GraphEmulator:TimeScale", timeScale.ToString(CultureInfo.InvariantCulture)],
            Path.Combine(folder, "graph-emulator.log"));
        var emulator = new EmulatorProcess(process, root);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    await emulator.CountersAsync(cancellationToken);
                    return emulator;
                }
                catch (HttpRequestException) when (!process.HasExited && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100, cancellationToken);
                }
                catch (HttpRequestException ex)
                {
                    throw new InvalidOperationException($"The Graph emulator did not start: {process.Tail}", ex);
                }
            }
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    public async Task<EmulatorCounters> CountersAsync(CancellationToken cancellationToken) =>
        (await _http.GetFromJsonAsync<EmulatorCounters>("_emulator/counters", Json, cancellationToken))!;

    /// <summary>Identities ever imported, per serial number.</summary>
    public async Task<Dictionary<string, int>> ImportsBySerialAsync(CancellationToken cancellationToken) =>
        new((await _http.GetFromJsonAsync<Dictionary<string, int>>("_emulator/imports-by-serial", cancellationToken))!, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every Graph request answers 503 until <see cref="EndOutageAsync"/>.</summary>
    public async Task StartOutageAsync(CancellationToken cancellationToken) =>
        (await _http.PostAsync("_emulator/outage", null, cancellationToken)).EnsureSuccessStatusCode();

    public async Task EndOutageAsync(CancellationToken cancellationToken) =>
        (await _http.DeleteAsync("_emulator/outage", cancellationToken)).EnsureSuccessStatusCode();

    /// <summary>Holds the answers to import POSTs (taken at once) and/or slows reads of imported identities, in real time.</summary>
    public async Task HoldAsync(TimeSpan? importAnswers, TimeSpan? statusReads, CancellationToken cancellationToken) =>
        (await _http.PostAsJsonAsync("_emulator/delays", new DelaysBody { ImportAnswerSeconds = importAnswers?.TotalSeconds, StatusReadSeconds = statusReads?.TotalSeconds },
            Json, cancellationToken)).EnsureSuccessStatusCode();

    public async Task ReleaseAsync(CancellationToken cancellationToken) =>
        (await _http.DeleteAsync("_emulator/delays", cancellationToken)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
    }
}
