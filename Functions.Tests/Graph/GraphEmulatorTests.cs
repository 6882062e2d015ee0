using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Graph;
using Microsoft.Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import;
using Microsoft.Graph.DeviceManagement.WindowsAutopilotDeviceIdentities.Item.UpdateDeviceProperties;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Sarthe.Enrolment.Tests.Infrastructure;
using Sarthe.GraphEmulator;

namespace Sarthe.Enrolment.Tests.Graph;

/// <summary>
/// The emulator driven by the real Microsoft.Graph v1.0 client over HTTP, as the product drives Graph, and by a raw
/// HttpClient for beta and the /_emulator routes. The clock is moved by hand and the timings are Intune's defaults
/// (job 60 s + 0.1 s per identity, sync 60 s, profile 5 min, deletion 2 min, 20 s throttle windows), so nothing sleeps.
/// </summary>
public sealed class GraphEmulatorTests : EmulatorHarness
{
    private static readonly ImportedWindowsAutopilotDeviceIdentityImportStatus? Complete = ImportedWindowsAutopilotDeviceIdentityImportStatus.Complete;
    private static readonly ImportedWindowsAutopilotDeviceIdentityImportStatus? Failed = ImportedWindowsAutopilotDeviceIdentityImportStatus.Error;

    // ---- Import processing -------------------------------------------------------------------------------------

    [Fact]
    public async Task A_create_reads_unknown_then_pending_then_complete_0_None_when_its_job_ends()
    {
        var posted = Identity("SN-STATES-1");
        posted.State = new ImportedWindowsAutopilotDeviceIdentityState { DeviceImportStatus = ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending };

        var created = await CreateAsync(posted);

        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Unknown, created.State?.DeviceImportStatus);
        Assert.Equal(posted.HardwareIdentifier, created.HardwareIdentifier);
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending, (await StateOfAsync(created.Id!)).DeviceImportStatus);

        Clock.Advance(JobLength() - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending, (await StateOfAsync(created.Id!)).DeviceImportStatus);

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var state = await StateOfAsync(created.Id!);
        Assert.Equal(Complete, state.DeviceImportStatus);
        Assert.Equal(0, state.DeviceErrorCode);
        Assert.Equal("None", state.DeviceErrorName);
        Assert.False(string.IsNullOrEmpty(state.DeviceRegistrationId));
    }

    [Fact]
    public async Task Jobs_wait_fifo_behind_the_import_workers_and_read_unknown_until_theirs_starts()
    {
        Options.ImportWorkers = 2;

        var first = await CreateAsync(Identity("SN-QUEUE-1"));
        var second = (await ImportAsync(Identity("SN-QUEUE-2"), Identity("SN-QUEUE-3")))[0];
        var third = await CreateAsync(Identity("SN-QUEUE-4"));

        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending, (await StateOfAsync(first.Id!)).DeviceImportStatus);
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending, (await StateOfAsync(second.Id!)).DeviceImportStatus);
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Unknown, (await StateOfAsync(third.Id!)).DeviceImportStatus);

        // The third job takes the first worker to free up (60.1 s), then runs 60.1 s.
        Clock.Advance(JobLength(1));
        Assert.Equal(Complete, (await StateOfAsync(first.Id!)).DeviceImportStatus);
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending, (await StateOfAsync(second.Id!)).DeviceImportStatus);
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending, (await StateOfAsync(third.Id!)).DeviceImportStatus);

        Clock.Advance(JobLength(2) - JobLength(1));
        Assert.Equal(Complete, (await StateOfAsync(second.Id!)).DeviceImportStatus);
        Assert.Equal(ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending, (await StateOfAsync(third.Id!)).DeviceImportStatus);

        Clock.Advance(JobLength(1) - (JobLength(2) - JobLength(1)));
        Assert.Equal(Complete, (await StateOfAsync(third.Id!)).DeviceImportStatus);
    }

    [Fact]
    public async Task A_serial_registered_in_this_tenant_ends_in_806_whether_registered_by_hand_or_by_an_earlier_import()
    {
        State.RegisterDevice("SN-HERE-1");
        await ImportListedDeviceAsync("SN-HERE-2");

        var states = await ImportAndSettleAsync(Identity("SN-HERE-1"), Identity("SN-HERE-2"));

        Assert.All(states, s =>
        {
            Assert.Equal(Failed, s.DeviceImportStatus);
            Assert.Equal(806, s.DeviceErrorCode);
            Assert.Equal("ZtdDeviceAlreadyAssigned", s.DeviceErrorName);
            Assert.True(string.IsNullOrEmpty(s.DeviceRegistrationId));
        });
    }

    [Fact]
    public async Task A_serial_registered_to_another_tenant_ends_in_808()
    {
        State.OwnElsewhere(["SN-ELSEWHERE-1"]);

        var state = (await ImportAndSettleAsync(Identity("SN-ELSEWHERE-1")))[0];

        Assert.Equal(Failed, state.DeviceImportStatus);
        Assert.Equal(808, state.DeviceErrorCode);
        Assert.Equal("ZtdDeviceAssignedToOtherTenant", state.DeviceErrorName);
    }

    [Fact]
    public async Task A_missing_or_implausible_hardware_hash_ends_in_802()
    {
        var tooShort = Identity("SN-HASH-1");
        tooShort.HardwareIdentifier = [1, 2, 3];
        var missing = Identity("SN-HASH-2");
        missing.HardwareIdentifier = null;
        var tooLong = Identity("SN-HASH-3");
        tooLong.HardwareIdentifier = new byte[8193];

        var states = await ImportAndSettleAsync(tooShort, missing, tooLong);

        Assert.All(states, s => Assert.Equal((802, "InvalidZtdHardwareHash"), (s.DeviceErrorCode, s.DeviceErrorName)));
    }

    [Fact]
    public async Task No_serial_and_no_product_key_ends_in_803()
    {
        var anonymous = Identity("unused");
        anonymous.SerialNumber = null;

        var state = (await ImportAndSettleAsync(anonymous))[0];

        Assert.Equal(Failed, state.DeviceImportStatus);
        Assert.Equal((803, "MissingZtdSerialNumberAndProductKey"), (state.DeviceErrorCode, state.DeviceErrorName));
    }

    [Fact]
    public async Task The_same_hash_twice_in_one_job_registers_the_first_and_fails_the_others_as_duplicated()
    {
        var original = Identity("SN-DUP-1");
        var copy = Identity("SN-DUP-2");
        copy.HardwareIdentifier = original.HardwareIdentifier;

        var states = await ImportAndSettleAsync(original, copy);

        Assert.Equal(Complete, states[0].DeviceImportStatus);
        Assert.Equal(Failed, states[1].DeviceImportStatus);
        Assert.Equal((0, "ZtdDeviceDuplicated"), (states[1].DeviceErrorCode, states[1].DeviceErrorName));
    }

    [Fact]
    public async Task A_storage_error_is_transient_and_a_later_import_of_the_same_device_succeeds()
    {
        State.FailWithStorageError(["SN-STORAGE-1"]);

        var failed = (await ImportAndSettleAsync(Identity("SN-STORAGE-1")))[0];
        var retried = (await ImportAndSettleAsync(Identity("SN-STORAGE-1")))[0];

        Assert.Equal((0, "StorageError"), (failed.DeviceErrorCode, failed.DeviceErrorName));
        Assert.Equal(Failed, failed.DeviceImportStatus);
        Assert.Equal(Complete, retried.DeviceImportStatus);
    }

    [Fact]
    public async Task More_identities_than_the_batch_limit_are_refused()
    {
        Options.MaxImportBatch = 3;

        var error = await Assert.ThrowsAsync<ODataError>(() => ImportAsync([.. Enumerable.Range(0, 4).Select(i => Identity($"SN-BATCH-{i}"))]));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal(0, State.Counters.IdentitiesImported);
    }

    // ---- Autopilot devices: sync, profile, update, delete ------------------------------------------------------

    [Fact]
    public async Task A_device_shows_in_windows_autopilot_device_identities_only_after_the_sync_lag()
    {
        var state = (await ImportAndSettleAsync(Identity("SN-SYNC-1")))[0];
        var devices = Graph.DeviceManagement.WindowsAutopilotDeviceIdentities;

        var early = await Assert.ThrowsAsync<ODataError>(() => devices[state.DeviceRegistrationId].GetAsync());
        Assert.Equal(404, early.ResponseStatusCode);
        Assert.Empty((await devices.GetAsync())!.Value!);

        Clock.Advance(Options.SyncLag);
        var device = await devices[state.DeviceRegistrationId].GetAsync();
        Assert.Equal("SN-SYNC-1", device?.SerialNumber);
        Assert.Equal(School, device?.GroupTag);
        Assert.Equal(EnrollmentState.NotContacted, device?.EnrollmentState);
        Assert.Single((await devices.GetAsync())!.Value!);
    }

    [Fact]
    public async Task The_v1_device_has_no_profile_fields_and_the_beta_device_goes_from_pending_to_assigned_in_sync()
    {
        var id = await ImportListedDeviceAsync("SN-PROFILE-1");
        var listedAt = Clock.GetUtcNow();

        var v1 = await JsonOf(await SendAsync(HttpMethod.Get, $"v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{id}"));
        Assert.False(v1.TryGetProperty("deploymentProfileAssignmentStatus", out _));
        Assert.False(v1.TryGetProperty("deploymentProfileAssignedDateTime", out _));

        var pending = await JsonOf(await BetaGetAsync($"/{id}"));
        Assert.Equal("pending", pending.GetProperty("deploymentProfileAssignmentStatus").GetString());
        Assert.Equal("none", pending.GetProperty("deploymentProfileAssignmentDetailedStatus").GetString());
        Assert.Equal("0001-01-01T00:00:00Z", pending.GetProperty("deploymentProfileAssignedDateTime").GetString());

        Clock.Advance(Options.ProfileAssignmentDelay);
        var assigned = await JsonOf(await BetaGetAsync($"/{id}"));
        Assert.Equal("assignedInSync", assigned.GetProperty("deploymentProfileAssignmentStatus").GetString());
        Assert.Equal(listedAt + Options.ProfileAssignmentDelay, assigned.GetProperty("deploymentProfileAssignedDateTime").GetDateTimeOffset());
        Assert.Equal("#microsoft.graph.windowsAutopilotDeviceIdentity", assigned.GetProperty("@odata.type").GetString());
    }

    [Fact]
    public async Task A_group_tag_no_profile_is_assigned_to_reads_not_assigned()
    {
        Options.ProfileAssignments.Clear();
        Options.ProfileAssignments[School] = "Collège 0720001K";

        var mapped = await ImportListedDeviceAsync("SN-TAG-1");
        var unmapped = await ImportListedDeviceAsync("SN-TAG-2", "0729999Z");
        Clock.Advance(Options.ProfileAssignmentDelay);

        var page = await JsonOf(await BetaGetAsync(""));
        var statuses = page.GetProperty("value").EnumerateArray().ToDictionary(d => d.GetProperty("id").GetString()!, d => d.GetProperty("deploymentProfileAssignmentStatus").GetString());
        Assert.Equal("assignedInSync", statuses[mapped]);
        Assert.Equal("notAssigned", statuses[unmapped]);
        Assert.Equal(1, State.Counters.BetaReads);
    }

    [Fact]
    public async Task Update_device_properties_changes_the_group_tag_and_reevaluates_the_profile()
    {
        Options.ProfileAssignments.Clear();
        Options.ProfileAssignments[School] = "Collège 0720001K";
        Options.ProfileAssignments["0720002L"] = "Collège 0720002L";
        var id = await ImportListedDeviceAsync("SN-UPDATE-1");
        Clock.Advance(Options.ProfileAssignmentDelay);
        var device = Graph.DeviceManagement.WindowsAutopilotDeviceIdentities[id];

        await device.UpdateDeviceProperties.PostAsync(new UpdateDevicePropertiesPostRequestBody { GroupTag = "0720002L", DisplayName = "PC-CDI-01" });

        var updated = await device.GetAsync();
        Assert.Equal("0720002L", updated?.GroupTag);
        Assert.Equal("PC-CDI-01", updated?.DisplayName);
        Assert.Equal("pending", (await JsonOf(await BetaGetAsync($"/{id}"))).GetProperty("deploymentProfileAssignmentStatus").GetString());
        Clock.Advance(Options.ProfileAssignmentDelay);
        Assert.Equal("assignedInSync", (await JsonOf(await BetaGetAsync($"/{id}"))).GetProperty("deploymentProfileAssignmentStatus").GetString());

        await device.UpdateDeviceProperties.PostAsync(new UpdateDevicePropertiesPostRequestBody { GroupTag = "0729999Z" });
        Assert.Equal("notAssigned", (await JsonOf(await BetaGetAsync($"/{id}"))).GetProperty("deploymentProfileAssignmentStatus").GetString());
        Assert.Equal(2, State.Counters.DeviceUpdates);

        var unknown = await Assert.ThrowsAsync<ODataError>(() => Graph.DeviceManagement.WindowsAutopilotDeviceIdentities["no-such-device"].UpdateDeviceProperties.PostAsync(new UpdateDevicePropertiesPostRequestBody { GroupTag = "x" }));
        Assert.Equal(404, unknown.ResponseStatusCode);
    }

    [Fact]
    public async Task Deleting_an_imported_identity_answers_204_then_404_resource_not_found_in_intunes_shape()
    {
        var created = await CreateAsync(Identity("SN-DELETE-1"));

        await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[created.Id].DeleteAsync();

        var error = await Assert.ThrowsAsync<ODataError>(() => Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[created.Id].GetAsync());
        Assert.Equal(404, error.ResponseStatusCode);
        Assert.Equal("ResourceNotFound", error.Error?.Code);
        Assert.StartsWith("{\r\n  \"_version\": 3,\r\n  \"Message\": \"An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: ", error.Error?.Message);
        Assert.Contains("\"RetryAfter\": null", error.Error?.Message);
        Assert.Equal(0, State.Counters.ImportedIdentitiesStored);
    }

    [Fact]
    public async Task A_deleted_device_stays_listed_and_registered_for_the_deletion_lag_then_a_new_import_is_a_new_device()
    {
        var id = await ImportListedDeviceAsync("SN-GONE-1");
        var devices = Graph.DeviceManagement.WindowsAutopilotDeviceIdentities;

        await devices[id].DeleteAsync();

        Assert.Equal(id, (await devices[id].GetAsync())?.Id);
        Assert.Single((await devices.GetAsync())!.Value!);
        // An import ending while the deletion is under way still meets the device (806).
        var during = (await ImportAndSettleAsync(Identity("SN-GONE-1")))[0];
        Assert.Equal(806, during.DeviceErrorCode);

        Clock.Advance(Options.DeletionLag);
        Assert.Equal(404, (await Assert.ThrowsAsync<ODataError>(() => devices[id].GetAsync())).ResponseStatusCode);
        Assert.Empty((await devices.GetAsync())!.Value!);
        var again = (await ImportAndSettleAsync(Identity("SN-GONE-1")))[0];
        Assert.Equal(Complete, again.DeviceImportStatus);
        Assert.NotEqual(id, again.DeviceRegistrationId);

        // Deleting a device Intune does not hold is a 400, not a 404 (microsoft-graph-docs #7128).
        var missing = await Assert.ThrowsAsync<ODataError>(() => devices[id].DeleteAsync());
        Assert.Equal(400, missing.ResponseStatusCode);
        Assert.Contains($"Cannot find device with ztd Id {id}", missing.Error?.Message);
    }

    [Fact]
    public async Task An_enrolled_device_refuses_deletion()
    {
        var id = await ImportListedDeviceAsync("SN-ENROLLED-1");
        State.MarkEnrolled("SN-ENROLLED-1");

        var error = await Assert.ThrowsAsync<ODataError>(() => Graph.DeviceManagement.WindowsAutopilotDeviceIdentities[id].DeleteAsync());

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("BadRequest", error.Error?.Code);
        Assert.Contains("enrolled in Intune", error.Error?.Message);
        Assert.Contains("\"_version\": 3", error.Error?.Message);
        Assert.Equal(EnrollmentState.Enrolled, (await Graph.DeviceManagement.WindowsAutopilotDeviceIdentities[id].GetAsync())?.EnrollmentState);
    }

    // ---- Query options -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Contains_on_serial_number_finds_devices_and_eq_a_hyphen_or_select_are_refused_as_intune_does()
    {
        State.RegisterDevice("PF1A2B3C");
        State.RegisterDevice("PF9Z8Y7X");
        var devices = Graph.DeviceManagement.WindowsAutopilotDeviceIdentities;

        var found = await devices.GetAsync(r => r.QueryParameters.Filter = "contains(serialNumber,'PF1A')");
        Assert.Equal("PF1A2B3C", Assert.Single(found!.Value!).SerialNumber);

        var eq = await Assert.ThrowsAsync<ODataError>(() => devices.GetAsync(r => r.QueryParameters.Filter = "serialNumber eq 'PF1A2B3C'"));
        Assert.Equal(400, eq.ResponseStatusCode);
        Assert.Contains("$filter=serialNumber", eq.Error?.Message);
        var hyphen = await Assert.ThrowsAsync<ODataError>(() => devices.GetAsync(r => r.QueryParameters.Filter = "contains(serialNumber,'PF-1A')"));
        Assert.Equal(400, hyphen.ResponseStatusCode);
        var other = await Assert.ThrowsAsync<ODataError>(() => devices.GetAsync(r => r.QueryParameters.Filter = "contains(groupTag,'0720')"));
        Assert.Equal(400, other.ResponseStatusCode);
        var select = await Assert.ThrowsAsync<ODataError>(() => devices.GetAsync(r => r.QueryParameters.Select = ["serialNumber"]));
        Assert.Equal(500, select.ResponseStatusCode);
        Assert.Equal("InternalServerError", select.Error?.Code);

        Assert.Equal(HttpStatusCode.OK, (await BetaGetAsync("?$filter=contains(serialNumber,'PF9Z')")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await BetaGetAsync("?$filter=serialNumber eq 'PF9Z8Y7X'")).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await BetaGetAsync("?$select=serialNumber")).StatusCode);
        Assert.Equal(1, State.Counters.AutopilotFilteredLookups);
    }

    [Fact]
    public async Task The_imported_identity_list_refuses_any_filter_and_select_and_a_top_beyond_the_page_size()
    {
        await CreateAsync(Identity("SN-IMPFILTER-1"));
        var list = Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities;

        var contains = await Assert.ThrowsAsync<ODataError>(() => list.GetAsync(r => r.QueryParameters.Filter = "contains(importId,'batch-1')"));
        var eq = await Assert.ThrowsAsync<ODataError>(() => list.GetAsync(r => r.QueryParameters.Filter = "serialNumber eq 'SN-IMPFILTER-1'"));
        var select = await Assert.ThrowsAsync<ODataError>(() => list.GetAsync(r => r.QueryParameters.Select = ["state"]));
        var top = await Assert.ThrowsAsync<ODataError>(() => list.GetAsync(r => r.QueryParameters.Top = Options.MaxPageSize + 1));

        Assert.All(new[] { contains, eq, select, top }, e => Assert.Equal(400, e.ResponseStatusCode));
        Assert.Single((await list.GetAsync(r => r.QueryParameters.Top = 5))!.Value!);
        var get = await Assert.ThrowsAsync<ODataError>(() => list["any"].GetAsync(r => r.QueryParameters.Select = ["state"]));
        Assert.Equal(400, get.ResponseStatusCode);
    }

    [Fact]
    public async Task Lists_page_with_next_links_that_the_sdk_page_iterator_follows()
    {
        Options.MaxPageSize = 7;
        await ImportAsync([.. Enumerable.Range(0, 20).Select(i => Identity($"SN-PAGE-{i:D2}"))]);
        foreach (var i in Enumerable.Range(0, 9))
        {
            State.RegisterDevice($"PG{i:D2}");
        }

        var first = await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.GetAsync();
        Assert.Equal(7, first?.Value?.Count);
        Assert.NotNull(first?.OdataNextLink);
        var serials = new List<string>();
        await PageIterator<ImportedWindowsAutopilotDeviceIdentity, ImportedWindowsAutopilotDeviceIdentityCollectionResponse>
            .CreatePageIterator(Graph, first!, identity => { serials.Add(identity.SerialNumber!); return true; }).IterateAsync();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"SN-PAGE-{i:D2}"), serials);
        Assert.Equal(3, State.Counters.IdentityListPages);

        var devices = await Graph.DeviceManagement.WindowsAutopilotDeviceIdentities.GetAsync(r => r.QueryParameters.Filter = "contains(serialNumber,'PG')");
        var found = new List<string>();
        await PageIterator<WindowsAutopilotDeviceIdentity, WindowsAutopilotDeviceIdentityCollectionResponse>
            .CreatePageIterator(Graph, devices!, device => { found.Add(device.SerialNumber!); return true; }).IterateAsync();
        Assert.Equal(9, found.Count);
        Assert.Equal(2, State.Counters.AutopilotFilteredLookups);
    }

    [Fact]
    public async Task Unknown_segments_and_verbs_answer_as_graph_and_intune_do()
    {
        var segment = await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDevices");
        Assert.Equal(HttpStatusCode.BadRequest, segment.StatusCode);
        Assert.Equal("Resource not found for the segment 'windowsAutopilotDevices'.", (await JsonOf(segment)).GetProperty("error").GetProperty("message").GetString());

        var verb = await SendAsync(HttpMethod.Post, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities", json: "{}");
        Assert.Equal(HttpStatusCode.BadRequest, verb.StatusCode);
        Assert.Equal("No method match route template", (await JsonOf(verb)).GetProperty("error").GetProperty("code").GetString());

        var version = await SendAsync(HttpMethod.Get, "deviceManagement/windowsAutopilotDeviceIdentities");
        Assert.Equal(HttpStatusCode.NotFound, version.StatusCode);
    }

    // ---- Throttling --------------------------------------------------------------------------------------------

    [Fact]
    public async Task An_app_gets_100_writes_per_20_s_then_429_with_retry_after_to_the_window_end()
    {
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities", json: CreateBody($"SN-W-{i}"))).StatusCode);
        }

        Clock.Advance(TimeSpan.FromSeconds(5));
        var throttled = await SendAsync(HttpMethod.Post, "v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities", json: CreateBody("SN-W-X"));

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(15), throttled.Headers.RetryAfter?.Delta);
        var error = (await JsonOf(throttled)).GetProperty("error");
        Assert.Equal("TooManyRequests", error.GetProperty("code").GetString());
        Assert.Contains("\"_version\": 3", error.GetProperty("message").GetString());
        // Reads have their own budget; another app has its own.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities", "other-app", CreateBody("SN-W-Y"))).StatusCode);

        Clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities", json: CreateBody("SN-W-Z"))).StatusCode);
        Assert.Equal(1, State.Counters.ThrottledByApp);
    }

    [Fact]
    public async Task An_app_gets_1000_requests_per_window()
    {
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/r{i}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities")).StatusCode);
        Assert.Equal(1000, State.Counters.IdentityGets);
    }

    [Fact]
    public async Task The_tenant_budget_is_shared_by_all_apps_200_writes_per_window()
    {
        foreach (var app in new[] { "instance-a", "instance-b" })
        {
            for (var i = 0; i < 100; i++)
            {
                // A DELETE of a missing record is a 404, but a write all the same.
                Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, $"v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/{app}-{i}", app)).StatusCode);
            }
        }

        var third = await SendAsync(HttpMethod.Delete, "v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities/x", "instance-c");

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(20), third.Headers.RetryAfter?.Delta);
        Assert.Equal((0L, 1L), (State.Counters.ThrottledByApp, State.Counters.ThrottledByTenant));
    }

    [Fact]
    public async Task Background_load_of_other_apps_leaves_less_of_the_tenant_budget()
    {
        Options.BackgroundWritesPerWindow = 150;

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities", json: CreateBody($"SN-BG-{i}"))).StatusCode);
        }

        var refused = await SendAsync(HttpMethod.Post, "v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities", json: CreateBody("SN-BG-X"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(1, State.Counters.ThrottledByTenant);

        Options.BackgroundRequestsPerWindow = 2000;
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities")).StatusCode);
    }

    [Fact]
    public async Task Retry_after_is_sent_always_never_or_for_a_share_of_429s()
    {
        Options.AppRequestsPerWindow = 1;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities")).StatusCode);

        Options.RetryAfter = RetryAfterMode.Never;
        var bare = await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities");
        Assert.Equal(HttpStatusCode.TooManyRequests, bare.StatusCode);
        Assert.Null(bare.Headers.RetryAfter);

        Options.RetryAfter = RetryAfterMode.Share;
        Options.RetryAfterShare = 0.5;
        var withHeader = 0;
        for (var i = 0; i < 40; i++)
        {
            withHeader += (await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities")).Headers.RetryAfter is null ? 0 : 1;
        }

        Assert.InRange(withHeader, 5, 35);
    }

    [Fact]
    public async Task The_max_per_window_counters_add_up_every_instance_of_one_app_throttled_requests_included()
    {
        var instances = new[] { ClientFor(Emulator, App), ClientFor(Emulator, App) };
        foreach (var instance in instances)
        {
            for (var i = 0; i < 60; i++)
            {
                try
                {
                    await instance.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[$"x{i}"].DeleteAsync();
                }
                catch (Exception ex) when (ex is ODataError or AggregateException or Microsoft.Kiota.Abstractions.ApiException)
                {
                    // 404 for the first 100, 429 after.
                }
            }
        }

        Clock.Advance(Options.ThrottleWindow);
        await Graph.DeviceManagement.WindowsAutopilotDeviceIdentities.GetAsync();

        var counters = State.Counters;
        Assert.Equal(120, counters.MaxAppWritesInWindow);
        Assert.Equal(120, counters.MaxAppRequestsInWindow);
        Assert.Equal(20, counters.ThrottledByApp);
    }

    [Fact]
    public async Task The_sdk_retry_handler_waits_the_retry_after_and_gets_through()
    {
        // Real time here: the retry handler sleeps for real. A 20 s window at time scale 20 lasts 1 s.
        await using var emulator = await RunningGraphEmulator.StartAsync(new GraphEmulatorOptions { TimeScale = 20, AppWritesPerWindow = 1 });
        var graph = ClientFor(emulator, App, maxRetries: 3);

        await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(Identity("SN-RETRY-1"));
        var second = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(Identity("SN-RETRY-2"));

        Assert.NotNull(second?.Id);
        Assert.True(emulator.State.Counters.ThrottledByApp >= 1);
    }

    // ---- Faults, outage, tokens, counters ----------------------------------------------------------------------

    [Fact]
    public async Task An_outage_answers_503_to_every_graph_request_until_it_ends()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await Raw.PostAsync("_emulator/outage", new StringContent("{\"seconds\": 30}", System.Text.Encoding.UTF8, "application/json"))).StatusCode);

        var during = await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Equal("ServiceUnavailable", (await JsonOf(during)).GetProperty("error").GetProperty("code").GetString());
        var sdk = await Assert.ThrowsAnyAsync<Exception>(() => Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(Identity("SN-OUTAGE-1")));
        Assert.Equal(503, StatusOf(sdk));

        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities")).StatusCode);

        State.StartOutage();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Raw.DeleteAsync("_emulator/outage")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities")).StatusCode);
        Assert.Equal(3, State.Counters.Faults);
    }

    [Fact]
    public async Task Faults_are_503_or_504_in_graph_error_shape_with_request_ids()
    {
        Options.FaultRate = 1.0;

        var response = await SendAsync(HttpMethod.Get, "v1.0/deviceManagement/windowsAutopilotDeviceIdentities");

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout });
        var inner = (await JsonOf(response)).GetProperty("error").GetProperty("innerError");
        Assert.Equal("2025-09-01T08:00:00", inner.GetProperty("date").GetString());
        Assert.True(Guid.TryParse(inner.GetProperty("request-id").GetString(), out _));
        Assert.Equal(response.Headers.GetValues("client-request-id").Single(), inner.GetProperty("client-request-id").GetString());
        Assert.Equal(1, State.Counters.Faults);
    }

    [Fact]
    public async Task Requests_without_a_bearer_token_are_401_in_graph_error_shape()
    {
        var response = await Raw.GetAsync("v1.0/deviceManagement/windowsAutopilotDeviceIdentities");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("InvalidAuthenticationToken", (await JsonOf(response)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, State.Counters.Requests);
    }

    [Fact]
    public async Task Counters_split_requests_by_kind_on_the_state_api_and_on_a_non_graph_path()
    {
        var created = await CreateAsync(Identity("SN-COUNT-1"));
        await ImportAsync(Identity("SN-COUNT-2"), Identity("SN-COUNT-3"));
        await StateOfAsync(created.Id!);
        await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.GetAsync();
        await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[created.Id].DeleteAsync();
        Clock.Advance(JobLength(2) + Options.SyncLag);
        var device = (await Graph.DeviceManagement.WindowsAutopilotDeviceIdentities.GetAsync())!.Value![0];
        await Graph.DeviceManagement.WindowsAutopilotDeviceIdentities.GetAsync(r => r.QueryParameters.Filter = "contains(serialNumber,'COUNT')");
        await Graph.DeviceManagement.WindowsAutopilotDeviceIdentities[device.Id].GetAsync();
        await BetaGetAsync($"/{device.Id}");
        await Graph.DeviceManagement.WindowsAutopilotDeviceIdentities[device.Id].UpdateDeviceProperties.PostAsync(new UpdateDevicePropertiesPostRequestBody { DisplayName = "PC-1" });
        await Graph.DeviceManagement.WindowsAutopilotDeviceIdentities[device.Id].DeleteAsync();

        var counters = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<EmulatorCounters>(Raw, "_emulator/counters");

        Assert.Equal(State.Counters, counters);
        Assert.Equal(11, counters!.Requests);
        Assert.Equal(5, counters.Writes);
        Assert.Equal(1, counters.IdentityCreates);
        Assert.Equal(1, counters.ImportActions);
        Assert.Equal(3, counters.IdentitiesImported);
        Assert.Equal(1, counters.IdentityGets);
        Assert.Equal(1, counters.IdentityListPages);
        Assert.Equal(1, counters.IdentityDeletes);
        Assert.Equal(1, counters.AutopilotListPages);
        Assert.Equal(1, counters.AutopilotFilteredLookups);
        Assert.Equal(1, counters.AutopilotGets);
        Assert.Equal(1, counters.BetaReads);
        Assert.Equal(1, counters.DeviceUpdates);
        Assert.Equal(1, counters.DeviceDeletes);
        Assert.Equal(2, counters.ImportedIdentitiesStored);
        // Five requests before the clock moved two minutes on, six after: the busiest window saw six.
        Assert.Equal(6, counters.MaxAppRequestsInWindow);
        Assert.Equal(0, counters.Throttled);
    }

    [Fact]
    public async Task A_held_import_answer_leaves_the_import_in_graph_when_its_caller_gives_up()
    {
        // Test hook of the chaos benchmark: the import is taken at once, only its answer waits (real time).
        (await Raw.PostAsync("_emulator/delays", new StringContent("{\"importAnswerSeconds\": 30}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        using var caller = new CancellationTokenSource();
        var import = Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import.PostAsImportPostResponseAsync(
            new ImportPostRequestBody { ImportedWindowsAutopilotDeviceIdentities = [Identity("SN-HELD-1")] }, cancellationToken: caller.Token);
        await Eventually.MatchesAsync(() => Task.FromResult(State.Counters.ImportAnswersHeld), held => held == 1, TimeSpan.FromSeconds(10), "the answer is held");

        Assert.Equal(1, State.ImportsOf("SN-HELD-1"));
        await caller.CancelAsync(); // the caller dies before the answer
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => import);
        await Eventually.MatchesAsync(() => Task.FromResult(State.Counters.ImportAnswersHeld), held => held == 0, TimeSpan.FromSeconds(10), "the hold ends with its caller");

        var listed = (await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.GetAsync())!.Value!;
        Assert.Equal("SN-HELD-1", Assert.Single(listed).SerialNumber);
        Assert.Equal(1, State.Counters.ImportAnswersDelayed);
        var bySerial = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<Dictionary<string, int>>(Raw, "_emulator/imports-by-serial");
        Assert.Equal(1, bySerial!["SN-HELD-1"]);
    }

    [Fact]
    public async Task Slowed_status_reads_are_counted_while_held_and_the_delays_switch_off()
    {
        (await Raw.PostAsync("_emulator/delays", new StringContent("{\"statusReadSeconds\": 30}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        using var caller = new CancellationTokenSource();
        var read = Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.GetAsync(cancellationToken: caller.Token);
        await Eventually.MatchesAsync(() => Task.FromResult(State.Counters.StatusReadsHeld), held => held == 1, TimeSpan.FromSeconds(10), "the read is held");
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        (await Raw.DeleteAsync("_emulator/delays")).EnsureSuccessStatusCode();

        Assert.Equal(TimeSpan.Zero, State.Options.StatusReadDelay);
        Assert.Empty((await Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.GetAsync())!.Value!);
        Assert.Equal(1, State.Counters.StatusReadsDelayed);
    }

    /// <summary>The HTTP status an SDK exception carries: ODataError, or the retry handler's AggregateException of ApiExceptions.</summary>
    private static int? StatusOf(Exception exception) => exception switch
    {
        Microsoft.Kiota.Abstractions.ApiException api => api.ResponseStatusCode,
        AggregateException aggregate => aggregate.InnerExceptions.OfType<Microsoft.Kiota.Abstractions.ApiException>().LastOrDefault()?.ResponseStatusCode,
        _ => null,
    };
}
