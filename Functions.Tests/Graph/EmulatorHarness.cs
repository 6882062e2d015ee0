using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Graph;
using Microsoft.Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import;
using Microsoft.Graph.Models;
using Sarthe.Enrolment.Graph;
using Sarthe.GraphEmulator;

namespace Sarthe.Enrolment.Tests.Graph;

/// <summary>
/// One emulator per test on a hand-moved clock, with Intune's default timings, the real Graph SDK client the product
/// builds (GraphClientRegistration.CreateClient) and a raw HttpClient for beta and /_emulator routes.
/// </summary>
public abstract class EmulatorHarness : IAsyncLifetime
{
    protected const string App = "app-under-test";
    protected const string School = "0720001K";

    internal ManualClock Clock { get; } = new(new DateTimeOffset(2025, 9, 1, 8, 0, 0, TimeSpan.Zero));

    protected GraphEmulatorOptions Options { get; } = new();

    protected RunningGraphEmulator Emulator { get; private set; } = null!;

    protected GraphEmulatorState State => Emulator.State;

    /// <summary>The SDK client without retries: the tests move the clock, the retry handler would sleep for real.</summary>
    protected GraphServiceClient Graph { get; private set; } = null!;

    protected HttpClient Raw { get; private set; } = null!;

    /// <summary>A job of <paramref name="identities"/> identities at the default timings: 60 s + 0.1 s each.</summary>
    protected static TimeSpan JobLength(int identities = 1) => TimeSpan.FromSeconds(60) + TimeSpan.FromSeconds(0.1) * identities;

    public virtual async Task InitializeAsync()
    {
        Emulator = await RunningGraphEmulator.StartAsync(Options, time: Clock);
        Graph = ClientFor(Emulator, App);
        Raw = new HttpClient { BaseAddress = Emulator.Root };
    }

    public async Task DisposeAsync()
    {
        Raw.Dispose();
        await Emulator.DisposeAsync();
    }

    internal static GraphServiceClient ClientFor(RunningGraphEmulator emulator, string appId, int maxRetries = 0) =>
        GraphClientRegistration.CreateClient(new GraphOptions
        {
            BaseUrl = emulator.GraphBaseUrl,
            Credential = GraphCredentialKind.Emulator,
            ClientId = appId,
            MaxRetries = maxRetries,
            RetryDelaySeconds = 1,
        });

    /// <summary>A distinct 256-byte "hardware hash" per serial number (a real one is a few kilobytes of base64).</summary>
    protected static byte[] HashFor(string serial)
    {
        var digest = SHA512.HashData(Encoding.UTF8.GetBytes(serial));
        return [.. digest, .. digest, .. digest, .. digest];
    }

    protected static ImportedWindowsAutopilotDeviceIdentity Identity(string serial, string groupTag = School) => new()
    {
        SerialNumber = serial,
        GroupTag = groupTag,
        HardwareIdentifier = HashFor(serial),
    };

    protected async Task<ImportedWindowsAutopilotDeviceIdentity> CreateAsync(ImportedWindowsAutopilotDeviceIdentity identity) =>
        (await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(identity))!;

    protected async Task<List<ImportedWindowsAutopilotDeviceIdentity>> ImportAsync(params ImportedWindowsAutopilotDeviceIdentity[] identities)
    {
        var response = await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import.PostAsImportPostResponseAsync(
            new ImportPostRequestBody { ImportedWindowsAutopilotDeviceIdentities = [.. identities] });
        return response!.Value!;
    }

    protected async Task<ImportedWindowsAutopilotDeviceIdentityState> StateOfAsync(string importedId) =>
        (await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[importedId].GetAsync())!.State!;

    /// <summary>Imports in one action, lets the job end, and returns each identity's final state, in order.</summary>
    protected async Task<List<ImportedWindowsAutopilotDeviceIdentityState>> ImportAndSettleAsync(params ImportedWindowsAutopilotDeviceIdentity[] identities)
    {
        var imported = await ImportAsync(identities);
        Clock.Advance(JobLength(identities.Length));
        var states = new List<ImportedWindowsAutopilotDeviceIdentityState>();
        foreach (var identity in imported)
        {
            states.Add(await StateOfAsync(identity.Id!));
        }

        return states;
    }

    /// <summary>Imports one device, lets the job end and the sync lag pass: returns the new Autopilot device id.</summary>
    protected async Task<string> ImportListedDeviceAsync(string serial, string groupTag = School)
    {
        var state = (await ImportAndSettleAsync(Identity(serial, groupTag)))[0];
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Complete, state.DeviceImportStatus);
        Clock.Advance(Options.SyncLag);
        return state.DeviceRegistrationId!;
    }

    protected static string TokenFor(string appId) =>
        new EmulatorTokenCredential(appId).GetToken(new Azure.Core.TokenRequestContext([]), default).Token;

    protected async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string appId = App, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(appId));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await Raw.SendAsync(request);
    }

    /// <summary>A small valid create body for raw requests.</summary>
    protected static string CreateBody(string serial) =>
        JsonSerializer.Serialize(new { serialNumber = serial, groupTag = School, hardwareIdentifier = Convert.ToBase64String(HashFor(serial)) });

    protected static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    protected Task<HttpResponseMessage> BetaGetAsync(string pathAndQuery) =>
        SendAsync(HttpMethod.Get, "beta/deviceManagement/windowsAutopilotDeviceIdentities" + pathAndQuery);
}
