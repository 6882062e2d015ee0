using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.DevHost;
using Sarthe.GraphEmulator;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend of its own: these tests make Graph answer as a real tenant does on a bad day.</summary>
public sealed class RealTenantFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        options.Settings["Registration:ImportBatchSize"] = "8";
        // Long enough that a device reported ready before Intune assigned the profile its new tag leads to would be seen.
        options.GraphEmulator.ProfileAssignmentDelay = TimeSpan.FromSeconds(3);
    }
}

/// <summary>
/// First contact with a real tenant: a 504 that came after Intune accepted the batch, a batch Graph refuses, a device a
/// reseller registered under its own tag, an app without its permission. Each ends with every device registered or
/// failed for its own reason, and nothing left behind in Graph.
/// </summary>
public sealed class RealTenantTests(RealTenantFixture backend) : IClassFixture<RealTenantFixture>
{
    private const string School = "0720023J";

    [Fact]
    public async Task An_import_answered_504_after_graph_took_it_is_adopted_and_never_sent_a_second_time()
    {
        var state = backend.Host.Graph!.State;
        var serials = Enumerable.Range(0, 3).Select(_ => Enroller.NewSerial("GW504")).ToList();
        state.AnswerNextImportsAfterAccepting(1);

        await Task.WhenAll(serials.Select(async s => (await backend.Enroller.EnrolAsync(s, School)).Dispose()));

        foreach (var serial in serials)
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial, TimeSpan.FromSeconds(90))).GetProperty("status").GetString());
            Assert.Equal(1, state.ImportsOf(serial)); // the SDK did not send the batch again behind the product's back
        }

        await Eventually.MatchesAsync(() => Task.FromResult(state.ImportedIdentities.Count(i => serials.Contains(i.SerialNumber ?? ""))), n => n == 0,
            because: "every identity of the batch, the adopted ones included, is deleted once processed");
    }

    [Fact]
    public async Task A_batch_graph_refuses_is_split_until_the_unreadable_record_fails_alone_and_the_others_register()
    {
        var state = backend.Host.Graph!.State;
        var serials = Enumerable.Range(0, 6).Select(_ => Enroller.NewSerial("POISON")).ToList();
        var unreadable = serials[3];
        state.MakeUnreadable([unreadable]);

        await Task.WhenAll(serials.Select(async s => (await backend.Enroller.EnrolAsync(s, School)).Dispose()));

        foreach (var serial in serials.Where(s => s != unreadable))
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial, TimeSpan.FromSeconds(90))).GetProperty("status").GetString());
        }

        var failed = await backend.SettledAsync(unreadable, TimeSpan.FromSeconds(90));
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(ImportDecisions.ImportRefused, failed.GetProperty("lastError").GetProperty("code").GetString());
        Assert.Contains("Edm.Binary", failed.GetProperty("lastError").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, state.ImportsOf(unreadable));
    }

    [Fact]
    public async Task A_device_a_reseller_registered_under_its_own_tag_gets_the_schools_tag_before_it_is_ready()
    {
        var state = backend.Host.Graph!.State;
        var serial = Enroller.NewSerial("RESELLER");
        state.RegisterDevice(serial, "RESELLER-LOT-42");
        await Eventually.MatchesAsync(() => Task.FromResult(state.Devices.Single(d => d.SerialNumber == serial).ProfileStatus),
            s => s == ProfileStatus.AssignedInSync, TimeSpan.FromSeconds(30), "the reseller's tag has led to its own profile before the school enrols the device");

        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();

        Assert.Equal("registered", (await backend.SettledAsync(serial, TimeSpan.FromSeconds(90))).GetProperty("status").GetString());
        var store = backend.Host.Services.GetRequiredService<DeviceStore>();
        var device = await Eventually.MatchesAsync(() => store.GetAsync(new DeviceKey(School, serial), CancellationToken.None), d => d?.ReadyToProvision == true,
            TimeSpan.FromSeconds(90), "the device is ready once Autopilot shows the school's tag and its profile");
        var inAutopilot = state.Devices.Single(d => d.SerialNumber == serial);
        Assert.Equal(School, inAutopilot.GroupTag);
        Assert.Equal(ProfileStatus.AssignedInSync, inAutopilot.ProfileStatus); // the profile of the school's tag, not the reseller's
        var corrected = (await Eventually.MatchesAsync(
            async () => (await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=100")).GetProperty("items").EnumerateArray()
                .FirstOrDefault(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceGroupTagCorrected),
            e => e.ValueKind == JsonValueKind.Object, because: "the correction is in the trail"));
        Assert.Equal("RESELLER-LOT-42", corrected.GetProperty("data").GetProperty("from").GetString());
        Assert.Equal(School, corrected.GetProperty("data").GetProperty("to").GetString());
        Assert.NotNull(device);
    }

    [Fact]
    public async Task Without_its_permission_the_sync_waits_and_fails_no_device_then_registers_once_granted()
    {
        var state = backend.Host.Graph!.State;
        var sync = backend.Host.Services.GetRequiredService<AutopilotSync>();
        var serial = Enroller.NewSerial("NOPERM");
        state.RefuseApp(true);
        try
        {
            (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
            await Eventually.MatchesAsync(() => Task.FromResult(sync.GraphAvailableAt > DateTimeOffset.UtcNow), waiting => waiting,
                because: "the sync met Graph's 403 and waits");
            Assert.NotEqual("failed", (await backend.DeviceAsync(serial))!.Value.GetProperty("status").GetString());
        }
        finally
        {
            state.RefuseApp(false);
        }

        Assert.Equal("registered", (await backend.SettledAsync(serial, TimeSpan.FromSeconds(120))).GetProperty("status").GetString());
    }
}
