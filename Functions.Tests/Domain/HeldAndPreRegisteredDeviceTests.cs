using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Tests.Domain;

/// <summary>The transitions of the unknown-device policy (hold, approve) and of pre-registration, allowed and refused.</summary>
public sealed class HeldAndPreRegisteredDeviceTests
{
    private static readonly DateTimeOffset T0 = DeviceLifecycleTests.T0;
    private static readonly DeviceKey Key = DeviceLifecycleTests.Key;
    private static readonly DeviceDescription Laptop = DeviceLifecycleTests.Laptop;
    private static readonly AuditActor Admin = DeviceLifecycleTests.Admin;

    [Fact]
    public void A_held_enrolment_is_stored_held_with_its_enrolment_and_held_events_and_is_not_on_its_way()
    {
        var device = Device.Hold(Key, Laptop, T0);

        Assert.Equal(DeviceStatus.Held, device.Status);
        Assert.Equal("held", device.Status.ToName());
        Assert.Equal((1, 1), (device.Attempt, device.EnrolmentCount));
        Assert.False(device.IsUnsettled);
        Assert.False(device.ReadyToProvision);
        Assert.Equal([new StatusChange(DeviceStatus.Held, T0)], device.History.Changes);
        Assert.Equal([AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceHeld], Types(device));
        Assert.Equal(AuditActor.DeviceKind, device.PendingEvents[1].Actor.Kind);
    }

    [Fact]
    public void Approving_makes_a_held_device_received_in_the_same_attempt_audited_by_the_administrator()
    {
        var device = Device.Hold(Key, Laptop, T0);

        Assert.True(device.TryApprove(Admin, T0.AddHours(2)));

        Assert.Equal(DeviceStatus.Received, device.Status);
        Assert.Equal(1, device.Attempt);
        Assert.True(device.IsUnsettled);
        Assert.Equal(T0.AddHours(2), device.UpdatedAt);
        Assert.Equal([new StatusChange(DeviceStatus.Held, T0), new StatusChange(DeviceStatus.Received, T0.AddHours(2))], device.History.Changes);
        var approved = device.PendingEvents.Single(e => e.Type == AuditEventTypes.DeviceApproved);
        Assert.Equal(Admin, approved.Actor);
        Assert.True(device.TryStartRegistration(1, "import-1", T0.AddHours(3)));
    }

    [Fact]
    public void Approving_is_refused_for_a_device_that_is_not_held()
    {
        var received = Device.Enrol(Key, Laptop, T0);
        var held = Device.Hold(Key, Laptop, T0);
        Assert.True(held.TryApprove(Admin, T0.AddMinutes(1)));
        var before = (received.Status, received.UpdatedAt, received.PendingEvents.Count, held.Status, held.UpdatedAt, held.PendingEvents.Count);

        Assert.False(received.TryApprove(Admin, T0.AddHours(1)));
        Assert.False(held.TryApprove(Admin, T0.AddHours(1)));
        Assert.Equal(before, (received.Status, received.UpdatedAt, received.PendingEvents.Count, held.Status, held.UpdatedAt, held.PendingEvents.Count));
    }

    [Fact]
    public void A_held_device_takes_no_pipeline_transition_nor_a_retry_nor_a_hash_replacement()
    {
        var device = Device.Hold(Key, Laptop, T0);
        var now = T0.AddHours(1);

        Assert.False(device.TryStartRegistration(1, "import-1", now));
        Assert.False(device.TryFail(1, null, null, "RegistrationAbandoned", "…", now));
        Assert.False(device.TryRequestRetry(Admin, now));
        Assert.False(device.TryReplaceHash("BBBB", now));
        Assert.False(device.TryTakeForRedrive(device.UpdatedAt, now));
        Assert.False(device.TryRecordProfile(1, DeploymentProfileStatus.Assigned, now, now));
        Assert.Equal((DeviceStatus.Held, T0, 2), (device.Status, device.UpdatedAt, device.PendingEvents.Count));
    }

    [Fact]
    public void A_pre_registered_device_is_received_with_no_enrolment_of_its_own_enrolled_by_the_importer()
    {
        var device = Device.PreRegister(Key, Laptop with { DeviceType = "", Manufacturer = "", Model = "" }, "manifest-1", Admin, T0);

        Assert.Equal((DeviceStatus.Received, 1, 0), (device.Status, device.Attempt, device.EnrolmentCount));
        var enrolled = Assert.Single(device.PendingEvents);
        Assert.Equal((AuditEventTypes.DeviceEnrolled, Admin), (enrolled.Type, enrolled.Actor));
        Assert.Equal("manifest-1", enrolled.Data!["manifestId"]!.GetValue<string>());
        Assert.True(device.TryStartRegistration(1, "import-1", T0.AddMinutes(1)));
    }

    [Fact]
    public void Its_first_boot_fills_what_an_autopilot_csv_did_not_say_and_nothing_else()
    {
        var device = Device.PreRegister(Key, Laptop with { DeviceType = "", Manufacturer = "", Model = "", AssetTag = null }, "manifest-1", Admin, T0);

        Assert.True(device.TryDescribe(new DeviceDescription("tablet", "Lenovo", "Tab M10", "CCCC", "TAG-9"), T0.AddMinutes(1)));

        Assert.Equal(("tablet", "Lenovo", "Tab M10", "TAG-9", "AAAA"), (device.DeviceType, device.Manufacturer, device.Model, device.AssetTag, device.HardwareHash));
        Assert.False(device.TryDescribe(new DeviceDescription("desktop", "Dell", "OptiPlex", "DDDD", null), T0.AddMinutes(2)));
        Assert.Equal("tablet", device.DeviceType);
    }

    [Fact]
    public void What_its_first_boot_fills_is_recorded_in_the_row_as_device_described_by_the_device_with_before_and_after()
    {
        var device = Device.PreRegister(Key, Laptop with { DeviceType = "", Manufacturer = "", Model = "", AssetTag = null }, "manifest-1", Admin, T0);

        Assert.True(device.TryDescribe(new DeviceDescription("tablet", "Lenovo", "Tab M10", "CCCC", null), T0.AddMinutes(1)));
        Assert.False(device.TryDescribe(new DeviceDescription("desktop", "Dell", "OptiPlex", "DDDD", "TAG"), T0.AddMinutes(2)));

        var described = Assert.Single(device.PendingEvents, e => e.Type == AuditEventTypes.DeviceDescribed);
        Assert.Equal((AuditActor.DeviceKind, T0.AddMinutes(1)), (described.Actor.Kind, described.OccurredAt));
        Assert.Equal("""{"deviceType":"","manufacturer":"","model":""}""", described.Data!["before"]!.ToJsonString());
        Assert.Equal("""{"deviceType":"tablet","manufacturer":"Lenovo","model":"Tab M10"}""", described.Data!["after"]!.ToJsonString());
        Assert.Equal(T0.AddMinutes(1), device.UpdatedAt);
    }

    [Fact]
    public void A_device_whose_manifest_gave_its_facts_is_not_described_again_by_its_first_boot()
    {
        var device = Device.PreRegister(Key, Laptop, "manifest-1", Admin, T0);

        Assert.False(device.TryDescribe(Laptop with { DeviceType = "tablet", Model = "Other" }, T0.AddMinutes(1)));

        Assert.DoesNotContain(device.PendingEvents, e => e.Type == AuditEventTypes.DeviceDescribed);
        Assert.Equal(Laptop.DeviceType, device.DeviceType);
    }

    [Fact]
    public void A_manifest_hash_for_a_failed_pre_registered_device_starts_a_new_attempt_by_the_importer_without_counting_an_enrolment()
    {
        var device = Device.PreRegister(Key, Laptop, "manifest-1", Admin, T0);
        Assert.True(device.TryStartRegistration(1, "import-1", T0.AddMinutes(1)));
        Assert.True(device.TryFail(1, "import-1", "identity-1", "InvalidZtdHardwareHash", "802", T0.AddMinutes(2)));

        Assert.False(device.TryReplaceHash("AAAA", T0.AddMinutes(3), Admin));
        Assert.True(device.TryReplaceHash("BBBB", T0.AddMinutes(3), Admin));

        Assert.Equal((DeviceStatus.Received, 2, 0, "BBBB"), (device.Status, device.Attempt, device.EnrolmentCount, device.HardwareHash));
        var replaced = device.PendingEvents.Single(e => e.Type == AuditEventTypes.DeviceHashReplaced);
        Assert.Equal(Admin, replaced.Actor);
    }

    private static string[] Types(Device device) => DeviceLifecycleTests.Types(device);
}
