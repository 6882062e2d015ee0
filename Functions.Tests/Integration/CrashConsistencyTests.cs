using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend whose Autopilot sync and sweep run every second, and whose storage can be paused.</summary>
public sealed class CrashFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        options.Settings["RegistrationSweepSchedule"] = "*/1 * * * * *";
        options.Settings["Registration:StuckAfter"] = "00:00:02";
    }
}

/// <summary>
/// The states a crash can leave behind, made by hand, then the pipeline's own timers: each must end with the device
/// registered, one import in Graph, and every audit event in the trail exactly once.
/// </summary>
public sealed class CrashConsistencyTests(CrashFixture backend) : IClassFixture<CrashFixture>
{
    private const string School = "0720004N";

    private IServiceProvider Services => backend.Host.Services;

    [Fact]
    public async Task An_import_cut_short_after_graph_took_it_is_adopted_not_sent_twice()
    {
        // The crash: the import was marked Posting and Graph accepted the POST, but the answer was never recorded.
        var (import, serial) = await PlannedImportAsync("POSTED");
        Assert.True(import.TryStartPosting());
        await Services.GetRequiredService<ImportStore>().SaveAsync(import, CancellationToken.None);
        var device = (await Services.GetRequiredService<DeviceStore>().GetAsync(new DeviceKey(School, serial), CancellationToken.None))!;
        await Services.GetRequiredService<AutopilotClient>().ImportAsync(
            [new AutopilotImportItem(serial, device.HardwareHash, School)], import.GraphImportId, CancellationToken.None);

        var settled = await backend.SettledAsync(serial);

        Assert.Equal("registered", settled.GetProperty("status").GetString());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        await AssertTrailExactlyOnceAsync(serial, AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceRegistrationStarted, AuditEventTypes.DeviceRegistered);
    }

    [Fact]
    public async Task An_import_cut_short_before_graph_took_it_is_sent_once()
    {
        var (import, serial) = await PlannedImportAsync("UNSENT");
        Assert.True(import.TryStartPosting());
        await Services.GetRequiredService<ImportStore>().SaveAsync(import, CancellationToken.None);

        var settled = await backend.SettledAsync(serial);

        Assert.Equal("registered", settled.GetProperty("status").GetString());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
    }

    [Fact]
    public async Task A_half_planned_import_is_finished_and_its_device_imported_once()
    {
        // The crash: the import row was written, its device never moved into it, the outbox row is still there.
        var serial = Enroller.NewSerial("HALF");
        var device = await AddReceivedDeviceAsync(serial, DateTimeOffset.UtcNow);
        var import = AutopilotImport.Plan(AutopilotImport.NewId(DateTimeOffset.UtcNow), [DeviceRef.Of(device)], DateTimeOffset.UtcNow.AddMinutes(-5));
        await Services.GetRequiredService<ImportStore>().AddAsync(import, CancellationToken.None);
        await Services.GetRequiredService<RegistrationOutbox>().AddAsync(DeviceRef.Of(device), DateTimeOffset.UtcNow, CancellationToken.None);

        var settled = await backend.SettledAsync(serial);

        Assert.Equal("registered", settled.GetProperty("status").GetString());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        await Eventually.MatchesAsync(() => Services.GetRequiredService<ImportStore>().ContainsAsync(import.ImportId, CancellationToken.None), gone => !gone, because: "the emptied import is removed");
    }

    [Fact]
    public async Task Devices_two_imports_move_in_at_the_same_time_each_go_into_one_and_are_imported_once()
    {
        // The race: two plans took the same outbox rows (a rerun after a crash, a second host) and move their devices
        // in at once, several writes in flight each; the ETag-guarded transition lets one import have each device.
        var serials = Enumerable.Range(0, 24).Select(_ => Enroller.NewSerial("TWICE")).ToList();
        var devices = new List<DeviceRef>();
        foreach (var serial in serials)
        {
            devices.Add(DeviceRef.Of(await AddReceivedDeviceAsync(serial, DateTimeOffset.UtcNow)));
        }

        var first = AutopilotImport.Plan(AutopilotImport.NewId(DateTimeOffset.UtcNow), devices, DateTimeOffset.UtcNow);
        var second = AutopilotImport.Plan(AutopilotImport.NewId(DateTimeOffset.UtcNow), Enumerable.Reverse(devices), DateTimeOffset.UtcNow);
        var imports = Services.GetRequiredService<ImportStore>();
        await imports.AddAsync(first, CancellationToken.None);
        await imports.AddAsync(second, CancellationToken.None);
        var planner = Services.GetRequiredService<ImportPlanner>();

        await Task.WhenAll(planner.MoveDevicesInAsync(first, CancellationToken.None), planner.MoveDevicesInAsync(second, CancellationToken.None));

        var store = Services.GetRequiredService<DeviceStore>();
        foreach (var serial in serials)
        {
            var inFirst = first.Devices.Single(d => d.SerialNumber == serial).Stage == ImportedDeviceStage.Queued;
            var inSecond = second.Devices.Single(d => d.SerialNumber == serial).Stage == ImportedDeviceStage.Queued;
            Assert.True(inFirst ^ inSecond, $"{serial} is queued in {(inFirst ? "both imports" : "neither import")}");
            var row = await store.GetAsync(new DeviceKey(School, serial), CancellationToken.None);
            Assert.Equal(inFirst ? first.ImportId : second.ImportId, row!.ImportId);
        }

        foreach (var serial in serials)
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
            Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        }

        await Task.WhenAll(serials.Select(serial => AssertTrailExactlyOnceAsync(serial, AuditEventTypes.DeviceRegistrationStarted, AuditEventTypes.DeviceRegistered)));
    }

    [Fact]
    public async Task A_repeat_enrolment_of_a_device_lost_before_its_line_drives_it_again()
    {
        // The crash: the device row is there, its outbox row never was (and its enrolled event never published).
        var serial = Enroller.NewSerial("LINELESS");
        await AddReceivedDeviceAsync(serial, DateTimeOffset.UtcNow.AddMinutes(-3));

        using var repeat = await backend.Enroller.EnrolAsync(serial, School);

        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        await AssertTrailExactlyOnceAsync(serial, AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceReenrolled, AuditEventTypes.DeviceRegistrationStarted, AuditEventTypes.DeviceRegistered);
    }

    [Fact]
    public async Task Events_a_crash_left_in_a_device_row_are_published_by_the_sweep_exactly_once()
    {
        // The crash: the device was stored with its event, and the process died before publishing it.
        var serial = Enroller.NewSerial("UNPUBLISHED");
        await AddReceivedDeviceAsync(serial, DateTimeOffset.UtcNow.AddMinutes(-10));

        await AssertTrailEventuallyAsync(serial, AuditEventTypes.DeviceEnrolled);
        await Services.GetRequiredService<RegistrationSweeper>().SweepAsync(CancellationToken.None);
        await Services.GetRequiredService<RegistrationSweeper>().SweepAsync(CancellationToken.None);
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        await AssertTrailExactlyOnceAsync(serial, AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceRegistrationStarted, AuditEventTypes.DeviceRegistered);
    }

    /// <summary>An import planned for one new device, its device moved into it (registering), nothing sent yet.</summary>
    private async Task<(AutopilotImport Import, string Serial)> PlannedImportAsync(string prefix)
    {
        var serial = Enroller.NewSerial(prefix);
        var device = await AddReceivedDeviceAsync(serial, DateTimeOffset.UtcNow);
        var import = AutopilotImport.Plan(AutopilotImport.NewId(DateTimeOffset.UtcNow), [DeviceRef.Of(device)], DateTimeOffset.UtcNow);
        var imports = Services.GetRequiredService<ImportStore>();
        await imports.AddAsync(import, CancellationToken.None);
        var (_, moved) = await Services.GetRequiredService<DeviceStore>().UpdateAsync(device.Key, d => d.TryStartRegistration(1, import.ImportId, DateTimeOffset.UtcNow), CancellationToken.None);
        Assert.True(moved);
        Assert.True(import.TryMarkReady());
        return (import, serial);
    }

    private async Task<Device> AddReceivedDeviceAsync(string serial, DateTimeOffset at)
    {
        var store = Services.GetRequiredService<DeviceStore>();
        var device = Device.Enrol(new DeviceKey(School, serial), new DeviceDescription("laptop", "HP", "ProBook", Convert.ToBase64String(Enroller.HashOf(serial)), null), at);
        await Services.GetRequiredService<SerialClaims>().ClaimAsync(serial, School, CancellationToken.None);
        Assert.True(await store.TryAddAsync(device, NewDeviceEvents.WithNextChange, CancellationToken.None));
        return device;
    }

    private async Task AssertTrailEventuallyAsync(string serial, string type) =>
        await Eventually.MatchesAsync(() => TrailTypesAsync(serial), types => types.Contains(type), because: $"{type} in the trail of {serial}");

    private async Task AssertTrailExactlyOnceAsync(string serial, params string[] types)
    {
        await Eventually.MatchesAsync(() => TrailTypesAsync(serial), trail => types.All(trail.Contains), because: $"the trail of {serial} has every event");
        await Task.Delay(TimeSpan.FromSeconds(2)); // anything published twice would land by now
        var trail = await TrailTypesAsync(serial);
        foreach (var type in types)
        {
            Assert.True(trail.Count(t => t == type) == 1, $"{type} is in the trail {trail.Count(t => t == type)} times: {string.Join(", ", trail)}");
        }
    }

    private async Task<List<string>> TrailTypesAsync(string serial)
    {
        var page = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=500");
        return page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("type").GetString()!).ToList();
    }
}

/// <summary>A backend of its own: its Azurite is paused and resumed.</summary>
public sealed class PausedStorageFixture : BackendFixture;

public sealed class StorageOutageTests(PausedStorageFixture backend) : IClassFixture<PausedStorageFixture>
{
    private const string School = "0720007S";

    [Fact]
    public async Task While_storage_does_not_answer_an_enrolment_gets_503_with_retry_after_within_10_s_and_its_retry_succeeds()
    {
        var serial = Enroller.NewSerial("PAUSED");
        await backend.Enroller.KeyAsync(School);
        var azurite = backend.Host.Azurite!.ProcessId;

        Signal("STOP", azurite);
        HttpResponseMessage refused;
        var clock = Stopwatch.StartNew();
        try
        {
            refused = await backend.Enroller.EnrolAsync(serial, School);
        }
        finally
        {
            Signal("CONT", azurite);
        }

        var elapsed = clock.Elapsed;
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"answered after {elapsed.TotalSeconds:F1} s");

        // The device retries, as it does on a 503: whatever the first request left half-done is repaired.
        var retried = await Eventually.MatchesAsync(async () => (await backend.Enroller.EnrolAsync(serial, School)).StatusCode,
            status => status is HttpStatusCode.Accepted or HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the retry is accepted");
        Assert.Equal("registered", (await backend.SettledAsync(serial, TimeSpan.FromSeconds(90))).GetProperty("status").GetString());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
    }

    [Fact]
    public async Task While_storage_does_not_answer_an_admin_route_gets_503_within_10_s()
    {
        var azurite = backend.Host.Azurite!.ProcessId;
        Signal("STOP", azurite);
        HttpResponseMessage response;
        var clock = Stopwatch.StartNew();
        try
        {
            response = await backend.GetAsync("api/schools/0720007S/devices");
        }
        finally
        {
            Signal("CONT", azurite);
        }

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"answered after {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
