using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>From enrolment to registered/failed through the Autopilot sync timer (WebJobs SDK), the real Graph client and the emulator.</summary>
[Collection(BackendCollection.Name)]
public sealed class RegistrationTests(BackendFixture backend)
{
    private const string School = "0720011W";
    private Enroller Enroller => backend.Enroller;

    [Fact]
    public async Task Enrolled_device_is_registered_once_visible_in_autopilot_then_its_profile_is_followed_until_assigned()
    {
        var serial = Enroller.NewSerial();
        using var response = await Enroller.EnrolAsync(serial, School);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var device = await backend.SettledAsync(serial);

        Assert.Equal("registered", device.GetProperty("status").GetString());
        var autopilot = device.GetProperty("autopilot");
        Assert.Equal("complete", autopilot.GetProperty("importStatus").GetString());
        Assert.Equal(School, autopilot.GetProperty("groupTag").GetString());
        var listed = Assert.Single(backend.Host.Graph!.State.Devices, d => d.SerialNumber == serial);
        Assert.Equal(School, listed.GroupTag);
        Assert.Equal(listed.Id, autopilot.GetProperty("deviceId").GetString());
        var assigned = await Eventually.MatchesAsync(() => backend.DeviceAsync(serial),
            d => d?.GetProperty("autopilot").GetProperty("deploymentProfile").GetProperty("status").GetString() == "assigned", because: "profile assigned");
        Assert.True(assigned!.Value.GetProperty("autopilot").GetProperty("deploymentProfile").TryGetProperty("assignedAt", out _));
        // Once processed, the imported identity is deleted, as Microsoft's module does.
        await Eventually.MatchesAsync(() => Task.FromResult(backend.Host.Graph.State.ImportedIdentities.Count(i => i.SerialNumber == serial)), n => n == 0, because: "identity deleted");
    }

    [Fact]
    public async Task Devices_enrolled_together_share_one_import_action()
    {
        var before = backend.Host.Graph!.State.Counters.ImportActions;
        var serials = Enumerable.Range(0, 12).Select(_ => Enroller.NewSerial("BATCH")).ToList();
        await Enroller.KeyAsync(School);

        await Task.WhenAll(serials.Select(async s => (await Enroller.EnrolAsync(s, School)).Dispose()));
        foreach (var serial in serials)
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        }

        // Other tests run beside this one, so allow a little slack, but 12 devices must not be 12 imports.
        Assert.True(backend.Host.Graph.State.Counters.ImportActions - before <= 4, $"{backend.Host.Graph.State.Counters.ImportActions - before} import actions for 12 devices");
    }

    [Fact]
    public async Task Devices_in_line_together_that_fit_one_import_are_registered_by_exactly_one_import()
    {
        // A manifest's lines with a hash are put in line by one pre-registration batch, so all 12 wait in the outbox
        // together however the sync's ticks fall: they fit one import (500), and must be sent in exactly one.
        var serials = Enumerable.Range(0, 12).Select(_ => Enroller.NewSerial("ONEIMP")).ToList();
        var csv = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\n" +
                  string.Concat(serials.Select(s => $"{s},,{Manifests.Hash(s)},{School}\n"));
        await Manifests.ImportAsync(backend, csv, "one-import.csv");
        foreach (var serial in serials)
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        }

        var store = backend.Host.Services.GetRequiredService<DeviceStore>();
        var imports = new HashSet<string?>();
        foreach (var serial in serials)
        {
            imports.Add((await store.GetAsync(new DeviceKey(School, serial), CancellationToken.None))!.ImportId);
            Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        }

        Assert.Single(imports);
    }

    [Fact]
    public async Task Serial_owned_by_another_organisation_fails_with_808_and_says_what_to_do()
    {
        var serial = Enroller.NewSerial("OWNED");
        backend.Host.Graph!.State.OwnElsewhere([serial]);

        using var response = await Enroller.EnrolAsync(serial, School);
        var device = await backend.SettledAsync(serial);

        Assert.Equal("failed", device.GetProperty("status").GetString());
        var error = device.GetProperty("lastError");
        Assert.Equal(ImportDecisions.AssignedToOtherTenant, error.GetProperty("code").GetString());
        Assert.Contains("808", error.GetProperty("message").GetString());
        Assert.Contains("another organisation", error.GetProperty("message").GetString());
        Assert.EndsWith("Z", error.GetProperty("at").GetString());
    }

    [Fact]
    public async Task Device_already_in_this_tenant_806_is_found_in_autopilot_and_registered()
    {
        // Registered by hand before the programme (no hyphen: the contains() lookup path).
        var serial = ("HAND" + Guid.NewGuid().ToString("N")[..12]).ToUpperInvariant();
        var existing = backend.Host.Graph!.State.RegisterDevice(serial, School);

        using var response = await Enroller.EnrolAsync(serial, School);
        var device = await backend.SettledAsync(serial);

        Assert.Equal("registered", device.GetProperty("status").GetString());
        Assert.Equal(existing.Id, device.GetProperty("autopilot").GetProperty("deviceId").GetString());
    }

    [Fact]
    public async Task Intune_storage_error_is_tried_again_and_the_device_registers()
    {
        var serial = Enroller.NewSerial("STORAGE");
        backend.Host.Graph!.State.FailWithStorageError([serial]);

        using var response = await Enroller.EnrolAsync(serial, School);
        var device = await backend.SettledAsync(serial);

        Assert.Equal("registered", device.GetProperty("status").GetString());
        Assert.Equal(2, backend.Host.Graph.State.ImportsOf(serial));
    }

    [Fact]
    public async Task Invalid_hardware_hash_fails_with_802_and_tells_the_device_to_send_a_new_one()
    {
        var serial = Enroller.NewSerial();

        using var response = await Enroller.EnrolAsync(serial, School, hash: [1, 2, 3]);
        var device = await backend.SettledAsync(serial);

        Assert.Equal("failed", device.GetProperty("status").GetString());
        Assert.Equal(ImportDecisions.InvalidHardwareHash, device.GetProperty("lastError").GetProperty("code").GetString());
        Assert.Contains("802", device.GetProperty("lastError").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Retry_re_drives_a_failed_device_to_registered()
    {
        var serial = Enroller.NewSerial("RETRY");
        backend.Host.Graph!.State.OwnElsewhere([serial]);
        using var response = await Enroller.EnrolAsync(serial, School);
        Assert.Equal("failed", (await backend.SettledAsync(serial)).GetProperty("status").GetString());

        // The other organisation released the device; an administrator retries.
        backend.Host.Graph.State.Options.SerialsOwnedElsewhere.Remove(serial);
        using var retry = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/devices/{serial}/retry", AdminRoles.Admin));

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal("received", (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        var device = await backend.SettledAsync(serial);
        Assert.Equal("registered", device.GetProperty("status").GetString());
        Assert.False(device.TryGetProperty("lastError", out _));
    }

    [Fact]
    public async Task Retry_of_a_device_that_is_not_failed_is_409()
    {
        var serial = Enroller.NewSerial();
        using var response = await Enroller.EnrolAsync(serial, School);
        await backend.SettledAsync(serial);

        using var retry = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/devices/{serial}/retry", AdminRoles.Admin));

        await ProblemAssert.IsProblemAsync(retry, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Retry_needs_the_admin_role_and_an_existing_device()
    {
        using var readOnly = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, "api/devices/ANY-SERIAL/retry", AdminRoles.Read));
        using var missing = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, "api/devices/NO-SUCH-SERIAL/retry", AdminRoles.Admin));

        await ProblemAssert.IsProblemAsync(readOnly, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Unknown_device_is_404_and_reading_needs_a_token()
    {
        using var missing = await backend.GetAsync("api/devices/NO-SUCH-SERIAL");
        using var anonymous = await backend.GetAsync("api/devices/NO-SUCH-SERIAL", role: null);

        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Sweep_re_drives_a_device_whose_registration_command_was_lost()
    {
        // A row as it would be if the process died between the insert and the enqueue.
        var serial = Enroller.NewSerial("LOST");
        var store = backend.Host.Services.GetRequiredService<DeviceStore>();
        var longAgo = DateTimeOffset.UtcNow.AddHours(-2);
        await backend.Host.Services.GetRequiredService<SerialClaims>().ClaimAsync(serial, School, CancellationToken.None);
        Assert.True(await store.TryAddAsync(
            Device.Enrol(new DeviceKey(School, serial), new DeviceDescription("desktop", "Dell", "OptiPlex", Convert.ToBase64String(Enroller.HashOf(serial)), null), longAgo), NewDeviceEvents.WithNextChange, CancellationToken.None));

        var swept = await backend.Host.Services.GetRequiredService<RegistrationSweeper>().SweepAsync(CancellationToken.None);

        Assert.True(swept.Redriven >= 1);
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
    }
}
