using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Tests.Infrastructure;
using Sarthe.GraphEmulator;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// Three instances of the product on one storage account, as Azure scales the app out, and one Graph tenant: together
/// they stay within the app's Intune budget (the Autopilot sync, a timer, runs on one instance at a time), and every
/// device enrolled through any of them registers.
/// </summary>
public sealed class SharedGraphBudgetTests : IAsyncLifetime
{
    // Intune's budget shape (writes and requests per window), small and fast so that it binds within the test.
    private const int Writes = 6;
    private const int Requests = 40;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private readonly List<RunningDevHost> _hosts = [];
    private AzuriteProcess _azurite = null!;
    private RunningGraphEmulator _graph = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync();
        _graph = await RunningGraphEmulator.StartAsync(new GraphEmulatorOptions
        {
            ImportJobDuration = TimeSpan.FromMilliseconds(300),
            ImportPerIdentity = TimeSpan.Zero,
            SyncLag = TimeSpan.FromMilliseconds(200),
            ProfileAssignmentDelay = TimeSpan.FromMilliseconds(300),
            AppWritesPerWindow = Writes,
            AppRequestsPerWindow = Requests,
            ThrottleWindow = Window,
        });
        var masterSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        for (var i = 0; i < 3; i++)
        {
            var options = new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Warning };
            options.Settings["AzureWebJobsStorage"] = _azurite.ConnectionString;
            options.Settings["Graph:BaseUrl"] = _graph.GraphBaseUrl;
            options.Settings["Graph:Credential"] = "Emulator";
            options.Settings["Graph:MaxRetries"] = "0";
            options.Settings["Graph:WritesPerWindow"] = Writes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            options.Settings["Graph:RequestsPerWindow"] = Requests.ToString(System.Globalization.CultureInfo.InvariantCulture);
            options.Settings["Graph:BudgetWindow"] = Window.ToString();
            options.Settings["Enrolment:MasterSecret"] = masterSecret;
            options.Settings["AutopilotSyncSchedule"] = "*/1 * * * * *";
            options.Settings["Registration:ImportBatchSize"] = "5";
            options.Settings["Registration:FirstCheckDelay"] = "00:00:00.500";
            options.Settings["Registration:CheckInterval"] = "00:00:00.500";
            options.Settings["Registration:AutopilotCheckInterval"] = "00:00:00.500";
            _hosts.Add(await RunningDevHost.StartAsync(options));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _graph.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task Three_instances_stay_within_one_app_budget_and_register_every_device()
    {
        var clients = _hosts.Select(h => new HttpClient { BaseAddress = h.BaseUrl }).ToList();
        var enrollers = _hosts.Select((h, i) => new Enroller(clients[i], roles => h.Tokens.CreateToken([roles]))).ToList();
        const string school = "0720001K";
        var key = await enrollers[0].KeyAsync(school);
        var serials = Enumerable.Range(0, 40).Select(_ => Enroller.NewSerial("SHARED")).ToList();

        // Each device boots against whichever instance the load balancer picks.
        var statuses = await Task.WhenAll(serials.Select(async (serial, i) =>
        {
            using var response = await enrollers[i % 3].SendAsync(
                System.Text.Encoding.UTF8.GetBytes(Enroller.Body(serial, school).ToJsonString()), key);
            return response.StatusCode;
        }));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));

        var reader = new BackendReader(clients[1], _hosts[1]);
        foreach (var serial in serials)
        {
            var device = await reader.SettledAsync(serial);
            Assert.Equal("registered", device.GetProperty("status").GetString());
        }

        // The timer's lock: one instance ran the Autopilot sync, the others never did.
        var runs = _hosts.Select(h => h.Services.GetRequiredService<Sarthe.Enrolment.Registration.AutopilotSync>().Runs).ToList();
        Assert.Single(runs, r => r > 0);
        var counters = _graph.State.Counters;
        Assert.Equal(0, counters.ThrottledByApp);
        Assert.InRange(counters.MaxAppWritesInWindow, 1, Writes);
        Assert.InRange(counters.MaxAppRequestsInWindow, 1, Requests);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    /// <summary>Reads device records from one instance, as an administrator would.</summary>
    private sealed class BackendReader(HttpClient client, RunningDevHost host)
    {
        public async Task<System.Text.Json.JsonElement> SettledAsync(string serial) =>
            (await Eventually.MatchesAsync(() => DeviceAsync(serial), d => d?.GetProperty("status").GetString() is "registered" or "failed", TimeSpan.FromSeconds(90), $"device {serial} settles"))!.Value;

        private async Task<System.Text.Json.JsonElement?> DeviceAsync(string serial)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/devices/{serial}");
            request.Headers.Authorization = new("Bearer", host.Tokens.CreateToken(["Enrolment.Read"]));
            using var response = await client.SendAsync(request);
            return response.StatusCode == HttpStatusCode.NotFound
                ? null
                : System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
    }
}
