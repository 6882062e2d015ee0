using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;

namespace Sarthe.Enrolment.Tests.Infrastructure;

/// <summary>
/// The whole backend as the README's run command starts it, in-process on free ports: Azurite, the Graph
/// emulator and the dev host (HTTP functions, WebJobs queue/timer triggers, dev token issuer).
/// </summary>
public class BackendFixture : IAsyncLifetime
{
    private RunningDevHost? _host;
    private HttpClient? _client;

    public RunningDevHost Host => _host ?? throw new InvalidOperationException("Backend not started.");

    public HttpClient Client => _client ?? throw new InvalidOperationException("Backend not started.");

    public Enroller Enroller { get; private set; } = null!;

    /// <summary>Settings for this backend on top of the dev host's defaults.</summary>
    protected virtual void Configure(DevHostOptions options)
    {
    }

    public virtual async Task InitializeAsync()
    {
        var options = new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Warning };
        // Intune's sequence (import job, sync, profile) in a fraction of a second.
        options.GraphEmulator.ImportJobDuration = TimeSpan.FromMilliseconds(300);
        options.GraphEmulator.ImportPerIdentity = TimeSpan.Zero;
        options.GraphEmulator.SyncLag = TimeSpan.FromMilliseconds(200);
        options.GraphEmulator.ProfileAssignmentDelay = TimeSpan.FromMilliseconds(300);
        options.GraphEmulator.GroupTagUpdateLag = TimeSpan.FromMilliseconds(800);
        options.GraphEmulator.DeletionLag = TimeSpan.FromMilliseconds(500);
        options.Settings["Registration:FirstCheckDelay"] = "00:00:00.500";
        options.Settings["Registration:CheckInterval"] = "00:00:00.500";
        options.Settings["Registration:AutopilotCheckInterval"] = "00:00:00.500";
        options.Settings["AutopilotSyncSchedule"] = "*/1 * * * * *";
        // Every test enrols from 127.0.0.1, many for the same few schools: the limits have tests of their own (FloodTests).
        options.Settings["EnrolmentLimits:PerSourceBurst"] = "1000000";
        options.Settings["EnrolmentLimits:PerSchoolBurst"] = "1000000";
        options.Settings["EnrolmentLimits:StatusPerSourceBurst"] = "1000000";
        options.Settings["Graph:RetryDelaySeconds"] = "1";
        Configure(options);
        _host = await RunningDevHost.StartAsync(options);
        _client = new HttpClient { BaseAddress = _host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        Enroller = new Enroller(_client, role => Token(role));
    }

    // xunit disposes a fixture even when its InitializeAsync threw (a browser fixture without Chromium
    // starts nothing): dispose only what was started.
    public virtual async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    public string Token(params string[] roles) => Host.Tokens.CreateToken(roles);

    public HttpRequestMessage Request(HttpMethod method, string path, string? role = AdminRoles.Read)
    {
        var request = new HttpRequestMessage(method, path);
        if (role is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(role));
        }

        return request;
    }

    public async Task<HttpResponseMessage> GetAsync(string path, string? role = AdminRoles.Read) =>
        await Client.SendAsync(Request(HttpMethod.Get, path, role));

    public async Task<T> GetJsonAsync<T>(string path, string? role = AdminRoles.Read)
    {
        using var response = await GetAsync(path, role);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }

    /// <summary>The device record as an administrator sees it, or null when it does not exist.</summary>
    public async Task<System.Text.Json.JsonElement?> DeviceAsync(string serial)
    {
        using var response = await GetAsync($"api/devices/{serial}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
    }

    public async Task<string?> StatusAsync(string serial) => (await DeviceAsync(serial))?.GetProperty("status").GetString();

    /// <summary>Waits until the device is registered or failed, and returns its record.</summary>
    public async Task<System.Text.Json.JsonElement> SettledAsync(string serial, TimeSpan? timeout = null) =>
        (await Eventually.MatchesAsync(() => DeviceAsync(serial), d => d?.GetProperty("status").GetString() is "registered" or "failed", timeout, $"device {serial} settles"))!.Value;
}

[CollectionDefinition(Name)]
public sealed class BackendCollection : ICollectionFixture<BackendFixture>
{
    public const string Name = "backend";
}
