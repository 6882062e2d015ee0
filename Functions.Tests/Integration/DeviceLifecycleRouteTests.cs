using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// Moving, deregistering and exporting devices through HTTP, with the pipeline and the Graph emulator running: each
/// test uses schools no other test enrols at, so lists and counts are its own.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class DeviceLifecycleRouteTests(BackendFixture backend)
{
    private const string MoveFrom = "0720070K";
    private const string MoveTo = "0720081X";
    private const string DeregisterAt = "0720799C";
    private const string ReenrolAt = "0720800D";
    private const string RefusedAt = "0720847E";
    private const string ExportAt = "0720902P";
    private const string CrashFrom = "0720903R";
    private const string CrashTo = "0720904S";

    private IServiceProvider Services => backend.Host.Services;

    [Fact]
    public async Task A_moved_device_belongs_to_its_new_school_at_once_and_autopilot_shows_its_new_group_tag_eventually()
    {
        var serial = await RegisteredAsync("MVA", MoveFrom);

        using var response = await MoveAsync(serial, MoveTo.ToLowerInvariant());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(MoveTo, record.GetProperty("schoolUai").GetString());
        Assert.Equal("registered", record.GetProperty("status").GetString());
        Assert.Equal(MoveTo, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());
        Assert.DoesNotContain(serial, await SerialsAsync(MoveFrom));
        Assert.Contains(serial, await SerialsAsync(MoveTo));
        Assert.Equal(1, await RowsOfAsync(serial));
        var to = await backend.GetJsonAsync<JsonElement>($"api/schools/{MoveTo}");
        Assert.True(to.GetProperty("devices").GetProperty("registered").GetInt32() >= 1);

        // Intune applies updateDeviceProperties later: the record follows once Autopilot shows the tag.
        var moved = await Eventually.MatchesAsync(() => backend.DeviceAsync(serial),
            d => d!.Value.GetProperty("autopilot").GetProperty("groupTag").GetString() == MoveTo, because: "the group tag is read back from Autopilot");
        Assert.Equal(MoveTo, moved!.Value.GetProperty("autopilot").GetProperty("groupTag").GetString());
        Assert.Equal(MoveTo, backend.Host.Graph!.State.Devices.Single(d => d.SerialNumber == serial).GroupTag);

        var trail = await Eventually.MatchesAsync(() => TrailAsync(serial), t => t.Any(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceMoved),
            because: "the move is audited");
        var audited = trail.Single(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceMoved);
        Assert.Equal("administrator", audited.GetProperty("actor").GetProperty("kind").GetString());
        Assert.Equal(MoveFrom, audited.GetProperty("data").GetProperty("from").GetString());
        Assert.Equal(MoveTo, audited.GetProperty("data").GetProperty("to").GetString());
    }

    [Fact]
    public async Task A_move_refuses_a_bad_or_unknown_school_an_unknown_device_a_read_only_caller_and_a_deregistered_device()
    {
        var serial = await RegisteredAsync("MVB", MoveFrom);

        using var badLetter = await MoveAsync(serial, "0720070A");
        using var unknown = await MoveAsync(serial, "0729999Z");
        using var noBody = await backend.Client.SendAsync(Move(serial, "[1]"));
        using var twice = await backend.Client.SendAsync(Move(serial, $"{{\"schoolUai\":\"{MoveTo}\",\"schoolUai\":\"{MoveTo}\"}}"));
        using var missing = await MoveAsync("NO-SUCH-DEVICE-MVB", MoveTo);
        using var readOnly = await backend.Client.SendAsync(Move(serial, $"{{\"schoolUai\":\"{MoveTo}\"}}", AdminRoles.Read));
        using var same = await MoveAsync(serial, MoveFrom);

        Assert.Contains("schoolUai", (await ProblemAssert.IsProblemAsync(badLetter, HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Contains("schoolUai", (await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        await ProblemAssert.IsProblemAsync(noBody, HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(twice, HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(readOnly, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, same.StatusCode); // already there: nothing to do, the device as it is
        Assert.Equal(MoveFrom, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());
        Assert.Contains(serial, await SerialsAsync(MoveFrom));

        (await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serial}", AdminRoles.Admin))).Dispose();
        await Eventually.MatchesAsync(() => backend.StatusAsync(serial), s => s == "deregistered", because: "the device is deregistered");
        using var deregistered = await MoveAsync(serial, MoveTo);
        await ProblemAssert.IsProblemAsync(deregistered, HttpStatusCode.Conflict);
        Assert.Equal(MoveFrom, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());
    }

    [Fact]
    public async Task A_deregistered_device_leaves_autopilot_its_serial_enrols_again_elsewhere_and_the_new_device_is_what_get_shows()
    {
        var serial = await RegisteredAsync("DRG", DeregisterAt);
        var autopilotId = (await backend.DeviceAsync(serial))!.Value.GetProperty("autopilot").GetProperty("deviceId").GetString();

        using var accepted = await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serial}", AdminRoles.Admin));
        using var readOnly = await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serial}", AdminRoles.Read));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await ProblemAssert.IsProblemAsync(readOnly, HttpStatusCode.Forbidden);
        var gone = await Eventually.MatchesAsync(() => backend.DeviceAsync(serial), d => d!.Value.GetProperty("status").GetString() == "deregistered",
            because: "the device is removed from Autopilot");
        Assert.Equal(DeregisterAt, gone!.Value.GetProperty("schoolUai").GetString());
        Assert.DoesNotContain(backend.Host.Graph!.State.Devices, d => d.Id == autopilotId && d.GoneAt is null);
        using var again = await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serial}", AdminRoles.Admin));
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict);
        var trail = await Eventually.MatchesAsync(() => TrailAsync(serial), t => t.Any(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceDeregistered),
            because: "the deregistration is audited");
        Assert.Equal("administrator", trail.First(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceDeregistered).GetProperty("actor").GetProperty("kind").GetString());
        var counts = await backend.GetJsonAsync<JsonElement>($"api/schools/{DeregisterAt}");
        Assert.Equal(0, counts.GetProperty("devices").GetProperty("total").GetInt32());
        // The serial is free: a reseller's manifest may now list it at another school.
        var manifest = await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serial},{ReenrolAt},laptop,HP,ProBook,BC-DRG,F-DRG,612.50\n", "after-deregistration.csv");
        Assert.Equal(0, manifest.GetProperty("rejected").GetArrayLength());

        using var reenrolled = await backend.Enroller.EnrolAsync(serial, ReenrolAt);

        Assert.Equal(HttpStatusCode.Accepted, reenrolled.StatusCode);
        var current = await backend.SettledAsync(serial);
        Assert.Equal(ReenrolAt, current.GetProperty("schoolUai").GetString());
        Assert.Equal("registered", current.GetProperty("status").GetString());
        Assert.Equal(1, current.GetProperty("enrolmentCount").GetInt32());
        Assert.Equal(1, await RowsOfAsync(serial));
        Assert.Equal(1, await ArchivedRowsOfAsync(serial));
    }

    [Fact]
    public async Task When_graph_refuses_the_removal_the_status_stays_and_last_error_says_why()
    {
        var serial = await RegisteredAsync("DRF", RefusedAt);
        backend.Host.Graph!.State.MarkEnrolled(serial); // still enrolled in Intune: Autopilot refuses to delete it

        using var accepted = await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serial}", AdminRoles.Admin));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var refused = await Eventually.MatchesAsync(() => backend.DeviceAsync(serial), d => d!.Value.TryGetProperty("lastError", out _),
            because: "Graph's refusal is recorded");
        Assert.Equal("registered", refused!.Value.GetProperty("status").GetString());
        Assert.Equal(LifecycleWorker.DeregistrationRefused, refused.Value.GetProperty("lastError").GetProperty("code").GetString());
        Assert.Contains("Intune", refused.Value.GetProperty("lastError").GetProperty("message").GetString());
        Assert.Contains(backend.Host.Graph.State.Devices, d => d.SerialNumber == serial && d.GoneAt is null);
        // The serial is still the school's: another school cannot enrol it.
        using var elsewhere = await backend.Enroller.EnrolAsync(serial, ReenrolAt);
        Assert.Equal(HttpStatusCode.Conflict, elsewhere.StatusCode);
    }

    [Fact]
    public async Task The_autopilot_csv_export_parses_back_to_the_schools_devices_leaves_out_the_deregistered_and_imports_as_a_manifest()
    {
        // Real hashes start with "T0" (their first byte is 'O'); one serial starts with '-', which a spreadsheet would run.
        var serials = new[] { Enroller.NewSerial("EXA"), Enroller.NewSerial("EXB"), "-" + Enroller.NewSerial("EXC")[..20], Enroller.NewSerial("EXD") };
        foreach (var serial in serials)
        {
            (await backend.Enroller.EnrolAsync(serial, ExportAt, hash: [0x4F, .. Enroller.HashOf(serial)])).Dispose();
        }

        foreach (var serial in serials)
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        }

        (await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serials[3]}", AdminRoles.Admin))).Dispose();
        await Eventually.MatchesAsync(() => backend.StatusAsync(serials[3]), s => s == "deregistered", because: "the device is deregistered");

        using var byQuery = await backend.GetAsync($"api/schools/{ExportAt}/devices?format=autopilot-csv");
        using var byAccept = await AcceptCsvAsync($"api/schools/{ExportAt}/devices");
        using var badFormat = await backend.GetAsync($"api/schools/{ExportAt}/devices?format=xml");

        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal("text/csv", byQuery.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", byQuery.Headers.CacheControl?.ToString());
        var bytes = await byQuery.Content.ReadAsByteArrayAsync();
        Assert.All(bytes, b => Assert.True(b < 0x80, "ASCII only (Intune takes ANSI text, not Unicode)"));
        var csv = Encoding.ASCII.GetString(bytes);
        Assert.Equal(csv, await byAccept.Content.ReadAsStringAsync());
        await ProblemAssert.IsProblemAsync(badFormat, HttpStatusCode.BadRequest);
        Assert.DoesNotContain("\"", csv);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Device Serial Number,Windows Product ID,Hardware Hash,Group Tag", lines[0]);
        var exported = lines[1..].Select(l => l.Split(',')).ToList();
        Assert.All(exported, cells => Assert.Equal(4, cells.Length));
        var expected = new List<string[]>();
        foreach (var serial in serials[..3].Order(StringComparer.Ordinal))
        {
            var hash = Convert.ToBase64String([0x4F, .. Enroller.HashOf(serial)]);
            expected.Add([serial.StartsWith('-') ? "'" + serial : serial, "", hash, ExportAt]);
        }

        Assert.Equal(expected.Select(e => string.Join(',', e)), exported.Select(e => string.Join(',', e)));

        // The same file, as Intune or a reseller would hand it back: an Autopilot CSV manifest of this school.
        var clean = string.Join("\r\n", lines.Where(l => !l.StartsWith('\''))) + "\r\n";
        var imported = await Manifests.ImportAsync(backend, clean, "export-roundtrip.csv");
        Assert.Equal(2, imported.GetProperty("rows").GetInt32());
        Assert.Equal(0, imported.GetProperty("rejected").GetArrayLength());
        var inventory = await Manifests.InventoryAsync(backend, $"schoolUai={ExportAt}");
        foreach (var serial in serials[..2])
        {
            var row = inventory.Single(i => i.GetProperty("serialNumber").GetString() == serial);
            Assert.True(row.GetProperty("hasHardwareHash").GetBoolean());
            Assert.Equal("registered", row.GetProperty("deviceStatus").GetString());
        }
    }

    [Fact]
    public async Task A_move_cut_short_after_the_old_row_was_marked_is_finished_by_the_next_read_without_losing_or_doubling_the_device()
    {
        var serial = await RegisteredAsync("MVX", CrashFrom);
        var store = Services.GetRequiredService<DeviceStore>();

        // The crash: the row is marked moving (the transition was stored), nothing else happened.
        var (marked, changed) = await store.UpdateAsync(new DeviceKey(CrashFrom, serial), d => d.TryMove(CrashTo, AuditActor.Administrator("crash-test"), DateTimeOffset.UtcNow), CancellationToken.None);
        Assert.True(changed);
        Assert.Equal(CrashTo, marked!.MovingTo);
        Assert.DoesNotContain(serial, await SerialsAsync(CrashFrom)); // the list already counts it at its new school

        var read = await backend.DeviceAsync(serial);

        Assert.Equal(CrashTo, read!.Value.GetProperty("schoolUai").GetString());
        Assert.Equal(1, await RowsOfAsync(serial));
        Assert.Contains(serial, await SerialsAsync(CrashTo));
        Assert.Equal(CrashTo, await Services.GetRequiredService<SerialClaims>().SchoolHoldingRowAsync(serial, CancellationToken.None));
    }

    [Fact]
    public async Task A_move_cut_short_after_the_copy_is_finished_by_a_pipeline_update_through_the_old_key()
    {
        var serial = await RegisteredAsync("MVY", CrashFrom);
        var store = Services.GetRequiredService<DeviceStore>();
        var devices = Services.GetRequiredService<TableServiceClient>().GetTableClient(TableNames.Devices);
        var (marked, _) = await store.UpdateAsync(new DeviceKey(CrashFrom, serial), d => d.TryMove(CrashTo, AuditActor.Administrator("crash-test"), DateTimeOffset.UtcNow), CancellationToken.None);
        // The crash: the copy is written under the new school, the claim still names the old one.
        await devices.AddEntityAsync(marked!.MovedRow());
        Assert.Equal(2, await RowsOfAsync(serial));
        Assert.Equal(CrashFrom, await Services.GetRequiredService<SerialClaims>().SchoolHoldingRowAsync(serial, CancellationToken.None));

        // A writer that still knows the old key (an import, the watcher) finishes the move and changes the device where it now is.
        var (updated, recorded) = await store.UpdateAsync(new DeviceKey(CrashFrom, serial), d => d.TryRecordProfile(d.Attempt, DeploymentProfileStatus.Failed, null, DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.True(recorded);
        Assert.Equal(CrashTo, updated!.SchoolUai);
        Assert.Equal(1, await RowsOfAsync(serial));
        Assert.Equal(CrashTo, await Services.GetRequiredService<SerialClaims>().SchoolHoldingRowAsync(serial, CancellationToken.None));
        Assert.Equal(DeploymentProfileStatus.Failed, (await backend.DeviceAsync(serial))!.Value.GetProperty("autopilot").GetProperty("deploymentProfile").GetProperty("status").GetString());
    }

    private async Task<string> RegisteredAsync(string prefix, string uai)
    {
        var serial = Enroller.NewSerial(prefix);
        using var enrolled = await backend.Enroller.EnrolAsync(serial, uai);
        Assert.Equal(HttpStatusCode.Accepted, enrolled.StatusCode);
        var settled = await Eventually.MatchesAsync(() => backend.DeviceAsync(serial),
            d => d?.GetProperty("status").GetString() == "registered" && d.Value.GetProperty("autopilot").TryGetProperty("deploymentProfile", out var p)
                 && p.GetProperty("status").GetString() == DeploymentProfileStatus.Assigned,
            because: $"device {serial} is registered with its profile");
        Assert.Equal("registered", settled!.Value.GetProperty("status").GetString());
        return serial;
    }

    private HttpRequestMessage Move(string serial, string body, string role = AdminRoles.Admin)
    {
        var request = backend.Request(HttpMethod.Post, $"api/devices/{serial}/move", role);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return request;
    }

    private Task<HttpResponseMessage> MoveAsync(string serial, string uai) => backend.Client.SendAsync(Move(serial, $"{{\"schoolUai\":\"{uai}\"}}"));

    private async Task<HttpResponseMessage> AcceptCsvAsync(string path)
    {
        var request = backend.Request(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/csv");
        return await backend.Client.SendAsync(request);
    }

    private async Task<List<string>> SerialsAsync(string uai)
    {
        var page = await backend.GetJsonAsync<JsonElement>($"api/schools/{uai}/devices?pageSize=500");
        return page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("serialNumber").GetString()!).ToList();
    }

    private async Task<List<JsonElement>> TrailAsync(string serial)
    {
        var page = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={Uri.EscapeDataString(serial)}&pageSize=500");
        return page.GetProperty("items").EnumerateArray().ToList();
    }

    /// <summary>Rows of this serial in the Devices table, whatever their school (a move must never leave two, or none).</summary>
    private Task<int> RowsOfAsync(string serial) => CountAsync(TableNames.Devices, TableClient.CreateQueryFilter($"RowKey eq {serial}"));

    private Task<int> ArchivedRowsOfAsync(string serial) =>
        CountAsync(TableNames.DeviceArchive, TableClient.CreateQueryFilter($"RowKey ge {serial + "|"} and RowKey lt {serial + "}"}"));

    private async Task<int> CountAsync(string table, string filter)
    {
        var count = 0;
        await foreach (var _ in Services.GetRequiredService<TableServiceClient>().GetTableClient(table).QueryAsync<TableEntity>(filter, select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }
}
