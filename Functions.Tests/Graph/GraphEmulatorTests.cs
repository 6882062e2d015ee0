using System.Net;
using Microsoft.Graph;
using Microsoft.Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Sarthe.Enrolment.Graph;
using Sarthe.GraphEmulator;

namespace Sarthe.Enrolment.Tests.Graph;

/// <summary>The emulator driven by the real Microsoft.Graph client over HTTP, as production code drives Graph.</summary>
public sealed class GraphEmulatorTests : IAsyncLifetime
{
    private static readonly byte[] Hash = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
    private RunningGraphEmulator _emulator = null!;
    private GraphServiceClient _graph = null!;

    public async Task InitializeAsync()
    {
        _emulator = await RunningGraphEmulator.StartAsync(new GraphEmulatorOptions { ImportProcessingDelay = TimeSpan.FromMilliseconds(200) });
        _graph = ClientFor(_emulator, "app-under-test");
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task Create_then_get_returns_the_identity_with_graph_shapes()
    {
        var created = await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(Identity("SN-CREATE-1"));

        Assert.NotNull(created?.Id);
        Assert.Equal("SN-CREATE-1", created.SerialNumber);
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Unknown, created.State?.DeviceImportStatus);

        var fetched = await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[created.Id].GetAsync();
        Assert.Equal("0720001K", fetched?.GroupTag);
        Assert.Equal(Hash, fetched?.HardwareIdentifier);
    }

    [Fact]
    public async Task Import_action_resolves_to_complete_and_registers_an_autopilot_device()
    {
        var imported = await ImportAsync(Identity("SN-IMPORT-1"), Identity("SN-IMPORT-2"));
        Assert.Equal(2, imported.Count);

        var states = await PollUntilResolvedAsync(imported.Select(i => i.Id!));

        Assert.All(states, s => Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Complete, s.State!.DeviceImportStatus));
        var registrationId = states[0].State!.DeviceRegistrationId!;
        var device = await _graph.DeviceManagement.WindowsAutopilotDeviceIdentities[registrationId].GetAsync();
        Assert.Equal("0720001K", device?.GroupTag);
        Assert.Contains(device?.SerialNumber, new[] { "SN-IMPORT-1", "SN-IMPORT-2" });
    }

    [Fact]
    public async Task Serial_owned_elsewhere_ends_in_error_806()
    {
        _emulator.State.OwnElsewhere(["SN-TAKEN-1"]);

        var imported = await ImportAsync(Identity("SN-TAKEN-1"));
        var state = (await PollUntilResolvedAsync([imported[0].Id!]))[0].State!;

        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Error, state.DeviceImportStatus);
        Assert.Equal(806, state.DeviceErrorCode);
        Assert.Equal("ZtdDeviceAlreadyAssigned", state.DeviceErrorName);
    }

    [Fact]
    public async Task Malformed_hardware_hash_ends_in_error()
    {
        var identity = Identity("SN-BADHASH-1");
        identity.HardwareIdentifier = [1, 2, 3];

        var imported = await ImportAsync(identity);
        var state = (await PollUntilResolvedAsync([imported[0].Id!]))[0].State!;

        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Error, state.DeviceImportStatus);
        Assert.Equal(GraphEmulatorState.MalformedHashName, state.DeviceErrorName);
    }

    [Fact]
    public async Task Lists_page_with_next_links_that_the_sdk_page_iterator_follows()
    {
        _emulator.State.Options.MaxPageSize = 7;
        await ImportAsync(Enumerable.Range(0, 20).Select(i => Identity($"SN-PAGE-{i:D2}")).ToArray());

        var first = await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.GetAsync();
        Assert.Equal(7, first?.Value?.Count);
        Assert.NotNull(first?.OdataNextLink);

        var serials = new List<string>();
        var iterator = PageIterator<ImportedWindowsAutopilotDeviceIdentity, ImportedWindowsAutopilotDeviceIdentityCollectionResponse>
            .CreatePageIterator(_graph, first!, identity => { serials.Add(identity.SerialNumber!); return true; });
        await iterator.IterateAsync();

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"SN-PAGE-{i:D2}"), serials);
    }

    [Fact]
    public async Task Delete_removes_an_imported_identity()
    {
        var created = await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(Identity("SN-DELETE-1"));

        await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[created!.Id].DeleteAsync();

        var error = await Assert.ThrowsAsync<ODataError>(() => _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[created.Id].GetAsync());
        Assert.Equal(404, error.ResponseStatusCode);
        Assert.Equal("ResourceNotFound", error.Error?.Code);
    }

    [Fact]
    public async Task Throttled_writes_get_429_with_retry_after_and_the_sdk_retry_handler_honours_it()
    {
        _emulator.State.Options.WriteBudget = 1;
        _emulator.State.Options.ThrottleWindow = TimeSpan.FromSeconds(1);

        var first = await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(Identity("SN-THROTTLE-1"));
        var second = await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(Identity("SN-THROTTLE-2"));

        Assert.NotNull(first?.Id);
        Assert.NotNull(second?.Id);
        Assert.True(_emulator.State.Counters.Throttled >= 1, "the second write should have been throttled once");
    }

    [Fact]
    public async Task Throttling_is_per_app_and_reads_have_their_own_budget()
    {
        _emulator.State.Options.WriteBudget = 1;
        _emulator.State.Options.ThrottleWindow = TimeSpan.FromMinutes(5);
        using var raw = new HttpClient { BaseAddress = _emulator.Root };

        Assert.Equal(HttpStatusCode.Created, (await RawPost(raw, "app-a")).StatusCode);
        var throttled = await RawPost(raw, "app-a");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.Created, (await RawPost(raw, "app-b")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RawGet(raw, "app-a")).StatusCode);

        _emulator.State.Options.SendRetryAfter = false;
        var bare = await RawPost(raw, "app-a");
        Assert.Equal(HttpStatusCode.TooManyRequests, bare.StatusCode);
        Assert.Null(bare.Headers.RetryAfter);
        Assert.Contains("TooManyRequests", await bare.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Faults_are_503_or_504_in_graph_error_shape_and_counted()
    {
        _emulator.State.Options.FaultRate = 1.0;
        using var raw = new HttpClient { BaseAddress = _emulator.Root };

        var response = await RawGet(raw, "app-a");

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout });
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, _emulator.State.Counters.Faults);
    }

    [Fact]
    public async Task Requests_without_a_bearer_token_are_401_in_graph_error_shape()
    {
        using var raw = new HttpClient { BaseAddress = _emulator.Root };

        var response = await raw.GetAsync("v1.0/deviceManagement/windowsAutopilotDeviceIdentities");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("InvalidAuthenticationToken", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Counters_are_served_on_a_non_graph_path()
    {
        await _graph.DeviceManagement.WindowsAutopilotDeviceIdentities.GetAsync();
        using var raw = new HttpClient { BaseAddress = _emulator.Root };

        var counters = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<EmulatorCounters>(raw, "_emulator/counters");

        Assert.True(counters!.Requests >= 1);
    }

    internal static GraphServiceClient ClientFor(RunningGraphEmulator emulator, string appId) =>
        GraphClientRegistration.CreateClient(new GraphOptions { BaseUrl = emulator.GraphBaseUrl, Credential = GraphCredentialKind.Emulator, ClientId = appId });

    private static ImportedWindowsAutopilotDeviceIdentity Identity(string serial) => new()
    {
        SerialNumber = serial,
        GroupTag = "0720001K",
        HardwareIdentifier = Hash,
    };

    private async Task<List<ImportedWindowsAutopilotDeviceIdentity>> ImportAsync(params ImportedWindowsAutopilotDeviceIdentity[] identities)
    {
        var response = await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import.PostAsImportPostResponseAsync(
            new ImportPostRequestBody { ImportedWindowsAutopilotDeviceIdentities = [.. identities] });
        return response!.Value!;
    }

    private async Task<List<ImportedWindowsAutopilotDeviceIdentity>> PollUntilResolvedAsync(IEnumerable<string> ids)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var results = new List<ImportedWindowsAutopilotDeviceIdentity>();
        foreach (var id in ids)
        {
            while (true)
            {
                var identity = await _graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[id].GetAsync();
                if (identity!.State!.DeviceImportStatus != ImportedWindowsAutopilotDeviceIdentityImportStatus.Unknown)
                {
                    results.Add(identity);
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, "import did not resolve in time");
                await Task.Delay(100);
            }
        }

        return results;
    }

    private static string TokenFor(string appId) =>
        new EmulatorTokenCredential(appId).GetToken(new Azure.Core.TokenRequestContext([]), default).Token;

    private static async Task<HttpResponseMessage> RawPost(HttpClient raw, string appId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities")
        {
            Content = new StringContent("{\"serialNumber\":\"RAW-1\",\"groupTag\":\"0720001K\"}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", TokenFor(appId));
        return await raw.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> RawGet(HttpClient raw, string appId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities");
        request.Headers.Authorization = new("Bearer", TokenFor(appId));
        return await raw.SendAsync(request);
    }
}
