using System.Net;
using System.Text.Json;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend whose unknown-device policy is <c>hold</c>.</summary>
public sealed class HoldPolicyFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options) => options.Settings["Enrolment:UnknownDevices"] = "hold";
}

/// <summary>A backend whose unknown-device policy is <c>reject</c>.</summary>
public sealed class RejectPolicyFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options) => options.Settings["Enrolment:UnknownDevices"] = "reject";
}

/// <summary>Shared steps of the policy tests: a manifest line without hash, the audit trail of a serial.</summary>
internal static class PolicySteps
{
    public static Task<JsonElement> BuyAsync(BackendFixture backend, string serial, string uai) =>
        Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serial},{uai},laptop,HP,ProBook 440 G8,BC-POL,F-POL,\"512,40\"\n");

    public static async Task<List<JsonElement>> TrailAsync(BackendFixture backend, string serial)
    {
        var page = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=500");
        return page.GetProperty("items").EnumerateArray().ToList();
    }

    /// <summary>
    /// The answer to a serial of another school's inventory (contract v1.2): 409 naming neither that school nor its
    /// purchase, nothing stored, one rejection audited with reason bought_for_another_school.
    /// </summary>
    public static async Task RefusedAsBoughtElsewhereAsync(BackendFixture backend, HttpResponseMessage response, string serial)
    {
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("another school's purchase inventory", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("BC-POL", problem.GetRawText(), StringComparison.Ordinal);
        Assert.Null(await backend.DeviceAsync(serial));
        var trail = await TrailWithAsync(backend, serial, AuditEventTypes.DeviceEnrolmentRejected);
        var rejected = Assert.Single(trail, e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolmentRejected);
        Assert.Equal((409, "bought_for_another_school"), (rejected.GetProperty("data").GetProperty("status").GetInt32(), rejected.GetProperty("data").GetProperty("reason").GetString()));
    }

    public static Task<List<JsonElement>> TrailWithAsync(BackendFixture backend, string serial, string type) =>
        Eventually.MatchesAsync(() => TrailAsync(backend, serial), t => t.Any(e => e.GetProperty("type").GetString() == type), because: $"{type} in the trail of {serial}");
}

/// <summary>Policy hold: an unknown serial is stored held, nothing goes to Graph until an administrator approves it.</summary>
public sealed class HoldPolicyTests(HoldPolicyFixture backend, ITestOutputHelper output) : IClassFixture<HoldPolicyFixture>
{
    private const string School = "0721364S";
    private const string Other = "0721365T";

    [Fact]
    public async Task An_unknown_serial_is_held_answered_202_held_and_never_sent_to_graph()
    {
        var held = Enroller.NewSerial("HELD");
        var bought = Enroller.NewSerial("BOUGHT");
        await PolicySteps.BuyAsync(backend, bought, School);

        using var response = await backend.Enroller.EnrolAsync(held, School);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/devices/{held}", response.Headers.Location?.OriginalString);
        var record = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("held", record.GetProperty("status").GetString());
        Assert.False(record.TryGetProperty("inventory", out _));
        // A device in the inventory enrolled after it goes all the way while the held one stays held.
        using (var known = await backend.Enroller.EnrolAsync(bought, School))
        {
            Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        }

        Assert.Equal("registered", (await backend.SettledAsync(bought)).GetProperty("status").GetString());
        Assert.Equal("held", await backend.StatusAsync(held));
        Assert.Equal(0, backend.Host.Graph!.State.ImportsOf(held));
        var trail = await PolicySteps.TrailWithAsync(backend, held, AuditEventTypes.DeviceHeld);
        Assert.Equal(AuditActor.DeviceKind, trail.Single(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceHeld).GetProperty("actor").GetProperty("kind").GetString());
        Assert.Contains(trail, e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolled);
    }

    [Fact]
    public async Task A_held_device_asking_for_its_status_is_not_ready_and_told_to_ask_again_in_minutes()
    {
        var serial = Enroller.NewSerial("HELDVIEW");
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();

        using var status = await backend.Enroller.StatusAsync(serial, School);
        using var repeat = await backend.Enroller.EnrolAsync(serial, School);

        foreach (var answer in new[] { status, repeat })
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var view = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("held", false, "unknown"), (view.GetProperty("status").GetString(), view.GetProperty("readyToProvision").GetBoolean(), view.GetProperty("deploymentProfile").GetString()));
            Assert.Equal(TimeSpan.FromMinutes(5), answer.Headers.RetryAfter?.Delta);
        }

        Assert.Equal(2, (await backend.DeviceAsync(serial))!.Value.GetProperty("enrolmentCount").GetInt32());
    }

    [Fact]
    public async Task Approving_a_held_device_sends_it_to_registration_audited_by_the_administrator()
    {
        var serial = Enroller.NewSerial("APPROVE");
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();

        using var approved = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/devices/{serial.ToLowerInvariant()}/approve", AdminRoles.Admin));

        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        Assert.Equal("received", JsonDocument.Parse(await approved.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        var settled = await backend.SettledAsync(serial);
        Assert.Equal(("registered", School), (settled.GetProperty("status").GetString(), settled.GetProperty("autopilot").GetProperty("groupTag").GetString()));
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        var trail = await PolicySteps.TrailWithAsync(backend, serial, AuditEventTypes.DeviceRegistered);
        var approval = trail.Single(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceApproved);
        Assert.Equal(AuditActor.AdministratorKind, approval.GetProperty("actor").GetProperty("kind").GetString());

        // Approving again: it is no longer held.
        using var again = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/devices/{serial}/approve", AdminRoles.Admin));
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Approve_is_for_administrators_only_and_404_for_an_unknown_serial()
    {
        var serial = Enroller.NewSerial("READER");
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();

        using var reader = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/devices/{serial}/approve", AdminRoles.Read));
        using var unknown = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/devices/{Enroller.NewSerial("NOBODY")}/approve", AdminRoles.Admin));

        await ProblemAssert.IsProblemAsync(reader, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound);
        Assert.Equal("held", await backend.StatusAsync(serial));
    }

    [Fact]
    public async Task A_serial_in_the_schools_inventory_enrols_as_before_with_its_inventory_in_the_answer()
    {
        var serial = Enroller.NewSerial("KNOWN");
        var manifest = await PolicySteps.BuyAsync(backend, serial, School);

        using var response = await backend.Enroller.EnrolAsync(serial, School);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("received", record.GetProperty("status").GetString());
        var inventory = record.GetProperty("inventory");
        Assert.Equal(("BC-POL", "F-POL", 512.40m, manifest.GetProperty("manifestId").GetString()),
            (inventory.GetProperty("purchaseOrder").GetString(), inventory.GetProperty("invoiceNumber").GetString(), inventory.GetProperty("unitCostEur").GetDecimal(), inventory.GetProperty("manifestId").GetString()));
    }

    [Fact]
    public async Task A_serial_bought_for_another_school_is_refused_409_never_held_and_the_buyer_enrols_it()
    {
        var serial = Enroller.NewSerial("ELSEWHERE");
        await PolicySteps.BuyAsync(backend, serial, Other);

        using var response = await backend.Enroller.EnrolAsync(serial, School);

        await PolicySteps.RefusedAsBoughtElsewhereAsync(backend, response, serial);
        Assert.Equal(0, backend.Host.Graph!.State.ImportsOf(serial));
        // Nothing was held nor claimed: the school that bought it enrols it as usual.
        using var buyer = await backend.Enroller.EnrolAsync(serial, Other);
        Assert.Equal(HttpStatusCode.Accepted, buyer.StatusCode);
        Assert.Equal("received", JsonDocument.Parse(await buyer.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Generated_cross_school_serials_are_refused_409_under_hold_never_held_nor_claimed_and_their_buyer_enrols_them() =>
        await CrossSchoolSerials.FuzzAsync(backend, Fuzz.Random(output, 20261227), "0721224P", "0721225R", output);

    [Fact]
    public async Task Held_devices_are_counted_in_their_school_and_listed_with_status_held()
    {
        const string Counted = "0721304B";
        var serial = Enroller.NewSerial("COUNTED");
        (await backend.Enroller.EnrolAsync(serial, Counted)).Dispose();

        var school = await backend.GetJsonAsync<JsonElement>($"api/schools/{Counted}");
        var listed = await backend.GetJsonAsync<JsonElement>($"api/schools/{Counted}/devices?status=held");

        var devices = school.GetProperty("devices");
        Assert.Equal((1, 0, 1), (devices.GetProperty("held").GetInt32(), devices.GetProperty("received").GetInt32(), devices.GetProperty("total").GetInt32()));
        Assert.Equal(serial, Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("serialNumber").GetString());
    }
}

/// <summary>Policy reject: an unknown serial is refused with 403, nothing stored but an audit entry.</summary>
public sealed class RejectPolicyTests(RejectPolicyFixture backend, ITestOutputHelper output) : IClassFixture<RejectPolicyFixture>
{
    private const string School = "0721281B";

    [Fact]
    public async Task An_unknown_serial_is_refused_403_stores_nothing_and_is_audited_with_its_reason()
    {
        var serial = Enroller.NewSerial("REJECT");

        using var response = await backend.Enroller.EnrolAsync(serial, School);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("inventory", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await backend.DeviceAsync(serial));
        using var status = await backend.Enroller.StatusAsync(serial, School);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        var trail = await PolicySteps.TrailWithAsync(backend, serial, AuditEventTypes.DeviceEnrolmentRejected);
        var rejected = Assert.Single(trail);
        Assert.Equal((403, "not_in_inventory"), (rejected.GetProperty("data").GetProperty("status").GetInt32(), rejected.GetProperty("data").GetProperty("reason").GetString()));

        // Nothing was claimed: bought later for another school, it enrols there.
        const string Buyer = "0720986F";
        await PolicySteps.BuyAsync(backend, serial, Buyer);
        using var elsewhere = await backend.Enroller.EnrolAsync(serial, Buyer);
        Assert.Equal(HttpStatusCode.Accepted, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_serial_in_the_schools_inventory_enrols_and_registers_as_before()
    {
        var serial = Enroller.NewSerial("ALLOWED");
        await PolicySteps.BuyAsync(backend, serial, School);

        using var response = await backend.Enroller.EnrolAsync(serial, School);
        using var repeat = await backend.Enroller.EnrolAsync(serial, School);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.OK), (response.StatusCode, repeat.StatusCode));
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Generated_cross_school_serials_are_refused_409_under_reject_never_403_nor_claimed_and_their_buyer_enrols_them() =>
        await CrossSchoolSerials.FuzzAsync(backend, Fuzz.Random(output, 20261228), "0721225R", "0721226S", output);

    [Fact]
    public async Task A_serial_bought_for_another_school_is_refused_409_as_bought_elsewhere_not_403()
    {
        var serial = Enroller.NewSerial("WRONGSCHOOL");
        await PolicySteps.BuyAsync(backend, serial, "0720987G");

        using var response = await backend.Enroller.EnrolAsync(serial, School);

        await PolicySteps.RefusedAsBoughtElsewhereAsync(backend, response, serial);
    }
}

public sealed class UnknownDevicePolicySettingTests
{
    [Fact]
    public async Task A_policy_other_than_accept_hold_or_reject_stops_the_dev_host_naming_the_setting()
    {
        var options = new DevHostOptions { Port = 0 };
        options.Settings["Enrolment:UnknownDevices"] = "quarantine";

        var error = await Assert.ThrowsAsync<DevHostStartupException>(() => RunningDevHost.StartAsync(options));

        Assert.Contains("Enrolment:UnknownDevices", error.Message);
    }
}
