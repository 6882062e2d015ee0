using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>From enrolment to registered/failed through the queue trigger (WebJobs SDK), the real Graph client and the emulator.</summary>
[Collection(BackendCollection.Name)]
public sealed class RegistrationTests(BackendFixture backend)
{
    private const string School = "0720011W";
    private Enroller Enroller => backend.Enroller;

    [Fact]
    public async Task Enrolled_device_ends_registered_in_autopilot_with_the_school_as_group_tag()
    {
        var serial = Enroller.NewSerial();
        using var response = await Enroller.EnrolAsync(serial, School);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var device = await backend.SettledAsync(serial);

        Assert.Equal("registered", device.GetProperty("status").GetString());
        var autopilot = device.GetProperty("autopilot");
        Assert.Equal("complete", autopilot.GetProperty("importStatus").GetString());
        Assert.Equal(School, autopilot.GetProperty("groupTag").GetString());
        var registered = backend.Host.Graph!.State.ListRegistered(0, 10, ("serialNumber", serial)).Page;
        Assert.Equal(School, Assert.Single(registered).GroupTag);
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
    public async Task Serial_owned_by_another_tenant_fails_with_806_ztd_device_already_assigned()
    {
        var serial = Enroller.NewSerial("OWNED");
        backend.Host.Graph!.State.OwnElsewhere([serial]);

        using var response = await Enroller.EnrolAsync(serial, School);
        var device = await backend.SettledAsync(serial);

        Assert.Equal("failed", device.GetProperty("status").GetString());
        var error = device.GetProperty("lastError");
        Assert.Equal(ImportMonitor.AlreadyAssigned, error.GetProperty("code").GetString());
        Assert.Contains("806", error.GetProperty("message").GetString());
        Assert.EndsWith("Z", error.GetProperty("at").GetString());
    }

    [Fact]
    public async Task Malformed_hardware_hash_fails_with_a_reason()
    {
        var serial = Enroller.NewSerial();

        using var response = await Enroller.EnrolAsync(serial, School, hash: [1, 2, 3]);
        var device = await backend.SettledAsync(serial);

        Assert.Equal("failed", device.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(device.GetProperty("lastError").GetProperty("code").GetString()));
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
        await store.ClaimSerialAsync(serial, School, CancellationToken.None);
        Assert.True(await store.TryAddAsync(
            Device.Enrol(new DeviceKey(School, serial), new DeviceDescription("desktop", "Dell", "OptiPlex", Convert.ToBase64String(new byte[512]), null), longAgo),
            CancellationToken.None));

        var swept = await backend.Host.Services.GetRequiredService<RegistrationSweeper>().SweepAsync(CancellationToken.None);

        Assert.True(swept.Redriven >= 1);
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
    }
}
