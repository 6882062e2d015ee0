using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>Manifest lines with a hardware hash are registered in Autopilot before the device ever boots.</summary>
[Collection(BackendCollection.Name)]
public sealed class PreRegistrationTests(BackendFixture backend)
{
    private const string School = "0721262F";
    private const string Other = "0721263G";
    private const string Header = Manifests.ProgrammeHeader + ",hardwareHash";

    private static string Line(string serial, string uai = School, string? hash = null) =>
        $"{serial},{uai},laptop,HP,ProBook 450 G9,BC-PRE,F-PRE,\"701,25\",{hash ?? Manifests.Hash(serial)}";

    [Fact]
    public async Task A_manifest_with_hashes_registers_its_devices_with_the_schools_group_tag_and_their_first_boot_finds_them_ready()
    {
        var (s1, s2) = (Enroller.NewSerial("PRE"), Enroller.NewSerial("PRE"));
        var manifest = await Manifests.ImportAsync(backend, $"{Header}\n{Line(s1)}\n{Line(s2)}\n");

        foreach (var serial in new[] { s1, s2 })
        {
            var settled = await backend.SettledAsync(serial);
            Assert.Equal(("registered", 0), (settled.GetProperty("status").GetString(), settled.GetProperty("enrolmentCount").GetInt32()));
            Assert.Equal(manifest.GetProperty("manifestId").GetString(), settled.GetProperty("inventory").GetProperty("manifestId").GetString());
            Assert.Equal(School, Assert.Single(backend.Host.Graph!.State.Devices, d => d.SerialNumber == serial).GroupTag);
        }

        await Eventually.MatchesAsync(() => backend.DeviceAsync(s1),
            d => d?.GetProperty("autopilot").GetProperty("deploymentProfile").GetProperty("status").GetString() == "assigned", because: "profile assigned");

        using var firstBoot = await backend.Enroller.EnrolAsync(s1, School);

        Assert.Equal(HttpStatusCode.OK, firstBoot.StatusCode);
        var view = JsonDocument.Parse(await firstBoot.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("registered", true), (view.GetProperty("status").GetString(), view.GetProperty("readyToProvision").GetBoolean()));
        Assert.False(view.TryGetProperty("enrolmentCount", out _));
        Assert.Equal(1, (await backend.DeviceAsync(s1))!.Value.GetProperty("enrolmentCount").GetInt32());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(s1));
        var trail = await PolicySteps.TrailWithAsync(backend, s1, AuditEventTypes.DeviceRegistered);
        var enrolled = trail.Single(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolled);
        Assert.Equal(AuditActor.AdministratorKind, enrolled.GetProperty("actor").GetProperty("kind").GetString());
        Assert.True(enrolled.GetProperty("data").GetProperty("preRegistered").GetBoolean());
    }

    [Fact]
    public async Task Importing_the_same_manifest_again_creates_no_device_and_no_second_registration()
    {
        var serials = Enumerable.Range(0, 3).Select(_ => Enroller.NewSerial("AGAIN")).ToList();
        var csv = $"{Header}\n{string.Join("\n", serials.Select(s => Line(s)))}\n";
        await Manifests.ImportAsync(backend, csv);
        foreach (var serial in serials)
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        }

        var again = await Manifests.ImportAsync(backend, csv);

        Assert.Equal((3, 0, 0), (again.GetProperty("unchanged").GetInt32(), again.GetProperty("accepted").GetInt32(), again.GetProperty("updated").GetInt32()));
        await Task.Delay(TimeSpan.FromSeconds(2)); // a second registration would have started by now
        foreach (var serial in serials)
        {
            Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
            var trail = await PolicySteps.TrailAsync(backend, serial);
            Assert.Equal(1, trail.Count(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceRegistrationStarted));
            Assert.Equal("registered", await backend.StatusAsync(serial));
        }
    }

    [Fact]
    public async Task An_autopilot_csv_pre_registers_too_and_the_first_boot_says_what_the_device_is()
    {
        var serial = Enroller.NewSerial("OEM");
        await Manifests.ImportAsync(backend, $"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\n{serial},,{Manifests.Hash(serial)},{School}\n", "oem.csv");
        var settled = await backend.SettledAsync(serial);
        Assert.Equal("registered", settled.GetProperty("status").GetString());
        Assert.All(["deviceType", "manufacturer", "model"], member => Assert.False(settled.TryGetProperty(member, out _), $"{member} is not known yet: left out"));
        Assert.False(settled.GetProperty("inventory").TryGetProperty("unitCostEur", out _));

        using var firstBoot = await backend.Enroller.EnrolAsync(serial, School, "tablet");

        Assert.Equal(HttpStatusCode.OK, firstBoot.StatusCode);
        var record = (await backend.DeviceAsync(serial))!.Value;
        Assert.Equal(("tablet", "HP"), (record.GetProperty("deviceType").GetString(), record.GetProperty("manufacturer").GetString()));
    }

    [Fact]
    public async Task A_pre_registered_serial_enrolling_at_another_school_is_refused_409()
    {
        var serial = Enroller.NewSerial("CLAIMED");
        await Manifests.ImportAsync(backend, $"{Header}\n{Line(serial)}\n");
        // The sync's next run pre-registers it (seconds after the import), claiming the serial for its school.
        await Eventually.MatchesAsync(() => backend.DeviceAsync(serial), d => d is not null, because: "pre-registered");

        using var elsewhere = await backend.Enroller.EnrolAsync(serial, Other);

        await ProblemAssert.IsProblemAsync(elsewhere, HttpStatusCode.Conflict);
        Assert.Equal(School, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());
    }

    [Fact]
    public async Task A_line_for_a_device_already_enrolled_at_its_school_creates_no_second_device()
    {
        var serial = Enroller.NewSerial("BOOTEDFIRST");
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
        await backend.SettledAsync(serial);

        var result = await Manifests.ImportAsync(backend, $"{Header}\n{Line(serial)}\n");

        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        await Task.Delay(TimeSpan.FromSeconds(2));
        var record = (await backend.DeviceAsync(serial))!.Value;
        Assert.Equal(("registered", 1), (record.GetProperty("status").GetString(), record.GetProperty("enrolmentCount").GetInt32()));
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
    }

    [Fact]
    public async Task A_failed_device_whose_line_brings_another_hash_starts_again_with_it_by_the_importer()
    {
        var serial = Enroller.NewSerial("REHASHED");
        // A hash Intune refuses (802: too short to be one).
        await Manifests.ImportAsync(backend, $"{Header}\n{Line(serial, hash: Convert.ToBase64String([4, 5, 6]))}\n");
        var failed = await backend.SettledAsync(serial);
        Assert.Equal(("failed", "InvalidZtdHardwareHash"), (failed.GetProperty("status").GetString(), failed.GetProperty("lastError").GetProperty("code").GetString()));

        var result = await Manifests.ImportAsync(backend, $"{Header}\n{Line(serial)}\n");

        Assert.Equal(1, result.GetProperty("updated").GetInt32());
        var registered = await Eventually.MatchesAsync(() => backend.DeviceAsync(serial), d => d?.GetProperty("status").GetString() == "registered", because: "registered with the new hash");
        Assert.Equal(0, registered!.Value.GetProperty("enrolmentCount").GetInt32());
        Assert.Equal(2, backend.Host.Graph!.State.ImportsOf(serial));
        var trail = await PolicySteps.TrailWithAsync(backend, serial, AuditEventTypes.DeviceHashReplaced);
        Assert.Equal(AuditActor.AdministratorKind, trail.Single(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceHashReplaced).GetProperty("actor").GetProperty("kind").GetString());
    }
}

/// <summary>
/// What a crash in the middle of a manifest leaves (its inventory rows stored, a serial claimed, a device stored
/// without its line in the outbox), then the pipeline's own timers and a re-import: every device registered once.
/// </summary>
public sealed class PreRegistrationCrashTests(CrashFixture backend) : IClassFixture<CrashFixture>
{
    private const string School = "0720987G";

    private IServiceProvider Services => backend.Host.Services;

    [Fact]
    public async Task A_manifest_cut_short_after_storing_its_rows_is_completed_by_importing_it_again()
    {
        var (stored, claimed) = (Enroller.NewSerial("CUTROWS"), Enroller.NewSerial("CUTCLAIM"));
        var csv = $"{Manifests.ProgrammeHeader},hardwareHash\n" +
                  string.Join("\n", new[] { stored, claimed }.Select(s => $"{s},{School},laptop,HP,ProBook,BC-CUT,F-CUT,10.00,{Manifests.Hash(s)}")) + "\n";
        // The crash: both rows stored, one serial claimed, no device written.
        var inventory = Services.GetRequiredService<InventoryStore>();
        foreach (var serial in new[] { stored, claimed })
        {
            Assert.True(await inventory.TryAddAsync(new InventoryEntity
            {
                PartitionKey = serial, SchoolUai = School, DeviceType = "laptop", Manufacturer = "HP", Model = "ProBook", PurchaseOrder = "BC-CUT",
                InvoiceNumber = "F-CUT", UnitCostCents = 1000, HardwareHash = Manifests.Hash(serial), HashDigest = InventoryEntity.Digest(Manifests.Hash(serial)),
                HasHardwareHash = true, ManifestId = "cut-short", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            }, CancellationToken.None));
        }

        Assert.Equal(School, await Services.GetRequiredService<SerialClaims>().ClaimAsync(claimed, School, CancellationToken.None));

        var again = await Manifests.ImportAsync(backend, csv);

        Assert.Equal(2, again.GetProperty("unchanged").GetInt32());
        foreach (var serial in new[] { stored, claimed })
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
            Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        }
    }

    [Fact]
    public async Task A_pre_registered_device_whose_outbox_line_was_lost_is_driven_again_by_the_sweep()
    {
        var serial = Enroller.NewSerial("NOLINE");
        var device = Device.PreRegister(new DeviceKey(School, serial), new DeviceDescription("laptop", "HP", "ProBook", Manifests.Hash(serial), null), "lost-line",
            AuditActor.Administrator("admin"), DateTimeOffset.UtcNow.AddMinutes(-1));
        var devices = Services.GetRequiredService<DeviceStore>();
        Assert.Equal(School, await Services.GetRequiredService<SerialClaims>().ClaimAsync(serial, School, CancellationToken.None));
        Assert.True(await devices.TryAddAsync(device, NewDeviceEvents.WithNextChange, CancellationToken.None));

        var settled = await backend.SettledAsync(serial);

        Assert.Equal("registered", settled.GetProperty("status").GetString());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
    }
}
