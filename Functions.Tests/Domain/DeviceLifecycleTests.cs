using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Tests.Domain;

/// <summary>Every transition of <see cref="Device"/>, allowed and refused: plain objects, no storage.</summary>
public sealed class DeviceLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);
    private static readonly DeviceKey Key = new("0720001K", "5CG1234XYZ");
    private static readonly DeviceDescription Laptop = new("laptop", "HP", "ProBook 440 G8", "AAAA", "SARTHE-000123");

    private static Device Received() => Device.Enrol(Key, Laptop, T0);

    private static Device Registering()
    {
        var device = Received();
        Assert.True(device.TryStartRegistration(1, "imported-1", T0.AddMinutes(1)));
        return device;
    }

    private static Device Registered()
    {
        var device = Registering();
        Assert.True(device.TryMarkRegistered(1, "imported-1", "autopilot-1", T0.AddMinutes(2)));
        return device;
    }

    private static Device Failed()
    {
        var device = Registering();
        Assert.True(device.TryFail(1, "ZtdDeviceAssignedToOtherTenant", "Another organisation holds it.", T0.AddMinutes(2)));
        return device;
    }

    [Fact]
    public void Enrolment_makes_a_received_device_of_attempt_one_with_its_first_history_entry()
    {
        var device = Received();

        Assert.Equal(DeviceStatus.Received, device.Status);
        Assert.Equal(1, device.Attempt);
        Assert.Equal(1, device.EnrolmentCount);
        Assert.Equal(T0, device.EnrolledAt);
        Assert.Equal(T0, device.UpdatedAt);
        Assert.Equal([new StatusChange(DeviceStatus.Received, T0)], device.History.Changes);
        Assert.True(device.IsUnsettled);
        Assert.Null(device.LastError);
    }

    [Fact]
    public void A_reenrolment_is_counted_and_changes_nothing_else()
    {
        var device = Registering();

        device.RecordReenrolment(T0.AddMinutes(5));

        Assert.Equal(2, device.EnrolmentCount);
        Assert.Equal(DeviceStatus.Registering, device.Status);
        Assert.Equal(2, device.History.Changes.Count);
        Assert.Equal(T0.AddMinutes(5), device.UpdatedAt);
    }

    [Fact]
    public void Starting_registration_moves_a_received_device_to_registering_with_its_import_and_group_tag()
    {
        var device = Registering();

        Assert.Equal(DeviceStatus.Registering, device.Status);
        Assert.Equal("imported-1", device.ImportedIdentityId);
        Assert.Equal(Device.ImportUnknown, device.ImportStatus);
        Assert.Equal(Key.SchoolUai, device.GroupTag);
        Assert.Equal(T0.AddMinutes(1), device.RegisteringAt);
    }

    [Theory]
    [InlineData("registering")]
    [InlineData("registered")]
    [InlineData("failed")]
    public void Starting_registration_is_refused_unless_received(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryStartRegistration(device.Attempt, "imported-2", T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Fact]
    public void Starting_registration_for_a_stale_attempt_is_refused()
    {
        var device = Received();

        Assert.False(device.TryStartRegistration(attempt: 2, "imported-1", T0.AddMinutes(1)));
        Assert.Equal(DeviceStatus.Received, device.Status);
    }

    [Fact]
    public void Marking_registered_settles_a_registering_device_and_clears_an_earlier_error()
    {
        var device = Failed();
        Assert.True(device.TryRequestRetry(T0.AddMinutes(10)));
        Assert.True(device.TryStartRegistration(2, "imported-2", T0.AddMinutes(11)));

        Assert.True(device.TryMarkRegistered(2, "imported-2", "autopilot-2", T0.AddMinutes(12)));

        Assert.Equal(DeviceStatus.Registered, device.Status);
        Assert.Equal("autopilot-2", device.AutopilotDeviceId);
        Assert.Equal(Device.ImportComplete, device.ImportStatus);
        Assert.Equal(T0.AddMinutes(12), device.RegisteredAt);
        Assert.Null(device.LastError);
        Assert.False(device.IsUnsettled);
    }

    [Fact]
    public void Marking_registered_is_allowed_straight_from_received_when_autopilot_already_knows_the_device()
    {
        var device = Received();

        Assert.True(device.TryMarkRegistered(1, "imported-1", "autopilot-1", T0.AddMinutes(1)));

        Assert.Equal(DeviceStatus.Registered, device.Status);
        Assert.Equal("imported-1", device.ImportedIdentityId);
        Assert.Equal(T0.AddMinutes(1), device.RegisteringAt);
    }

    [Theory]
    [InlineData("registered")]
    [InlineData("failed")]
    public void Marking_registered_is_refused_once_settled(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryMarkRegistered(device.Attempt, "imported-9", "autopilot-9", T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Fact]
    public void Marking_registered_for_a_stale_attempt_is_refused()
    {
        var device = Registering();

        Assert.False(device.TryMarkRegistered(attempt: 0, "imported-1", "autopilot-1", T0.AddMinutes(2)));
        Assert.Equal(DeviceStatus.Registering, device.Status);
    }

    [Fact]
    public void Failing_settles_an_unsettled_device_with_the_code_the_message_and_the_time()
    {
        var device = Failed();

        Assert.Equal(DeviceStatus.Failed, device.Status);
        Assert.Equal(new DeviceError("ZtdDeviceAssignedToOtherTenant", "Another organisation holds it.", T0.AddMinutes(2)), device.LastError);
        Assert.Equal(Device.ImportError, device.ImportStatus);
        Assert.Equal(T0.AddMinutes(2), device.FailedAt);
    }

    [Fact]
    public void Failing_a_device_that_was_never_imported_leaves_no_import_status()
    {
        var device = Received();

        Assert.True(device.TryFail(1, "RegistrationAbandoned", "Every delivery failed.", T0.AddMinutes(1)));

        Assert.Null(device.ImportStatus);
    }

    [Theory]
    [InlineData("registered")]
    [InlineData("failed")]
    public void Failing_is_refused_once_settled(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryFail(device.Attempt, "ImportTimedOut", "late", T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Fact]
    public void Failing_for_a_stale_attempt_is_refused()
    {
        var device = Registering();

        Assert.False(device.TryFail(attempt: 5, "ImportTimedOut", "late", T0.AddMinutes(2)));
        Assert.Equal(DeviceStatus.Registering, device.Status);
    }

    [Fact]
    public void A_retry_makes_a_failed_device_received_again_as_a_new_attempt_and_forgets_the_old_import()
    {
        var device = Failed();

        Assert.True(device.TryRequestRetry(T0.AddMinutes(10)));

        Assert.Equal(DeviceStatus.Received, device.Status);
        Assert.Equal(2, device.Attempt);
        Assert.Null(device.ImportedIdentityId);
        Assert.Null(device.ImportStatus);
        Assert.Null(device.AutopilotDeviceId);
        Assert.Equal(T0.AddMinutes(10), device.RetryRequestedAt);
        Assert.Equal("ZtdDeviceAssignedToOtherTenant", device.LastError?.Code);

        // The old attempt's messages can no longer touch it.
        Assert.False(device.TryStartRegistration(1, "imported-1", T0.AddMinutes(11)));
        Assert.False(device.TryFail(1, "Late", "late", T0.AddMinutes(11)));
    }

    [Theory]
    [InlineData("received")]
    [InlineData("registering")]
    [InlineData("registered")]
    public void A_retry_is_refused_unless_failed(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryRequestRetry(T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Theory]
    [InlineData("received")]
    [InlineData("registering")]
    public void The_sweep_takes_an_unsettled_device_unchanged_since_it_looked_and_that_counts_as_a_change(string status)
    {
        var device = In(status);
        var seen = device.UpdatedAt;

        Assert.True(device.TryTakeForRedrive(seen, T0.AddHours(1)));

        Assert.Equal(T0.AddHours(1), device.UpdatedAt);
        Assert.Equal(Enum.Parse<DeviceStatus>(status, ignoreCase: true), device.Status);
        Assert.False(device.TryTakeForRedrive(seen, T0.AddHours(2)));
    }

    [Theory]
    [InlineData("registered")]
    [InlineData("failed")]
    public void The_sweep_never_takes_a_settled_device(string status)
    {
        var device = In(status);

        Assert.False(device.TryTakeForRedrive(device.UpdatedAt, T0.AddHours(1)));
    }

    [Fact]
    public void Every_status_change_is_in_the_history_with_its_time()
    {
        var device = Failed();
        device.TryRequestRetry(T0.AddMinutes(10));
        device.TryStartRegistration(2, "imported-2", T0.AddMinutes(11));
        device.TryMarkRegistered(2, "imported-2", "autopilot-2", T0.AddMinutes(12));

        Assert.Equal(
            [
                new StatusChange(DeviceStatus.Received, T0), new StatusChange(DeviceStatus.Registering, T0.AddMinutes(1)),
                new StatusChange(DeviceStatus.Failed, T0.AddMinutes(2)), new StatusChange(DeviceStatus.Received, T0.AddMinutes(10)),
                new StatusChange(DeviceStatus.Registering, T0.AddMinutes(11)), new StatusChange(DeviceStatus.Registered, T0.AddMinutes(12)),
            ],
            device.History.Changes);
    }

    private static Device In(string status) => status switch
    {
        "received" => Received(),
        "registering" => Registering(),
        "registered" => Registered(),
        "failed" => Failed(),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    private static string Snapshot(Device d) =>
        $"{d.Status}|{d.Attempt}|{d.UpdatedAt:O}|{d.ImportedIdentityId}|{d.ImportStatus}|{d.AutopilotDeviceId}|{d.LastError}|{d.History}";
}
