using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Tests.Domain;

/// <summary>Every transition of <see cref="Device"/>, allowed and refused, with the audit event it records: plain objects, no storage.</summary>
public sealed class DeviceLifecycleTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);
    internal static readonly DeviceKey Key = new("0720001K", "5CG1234XYZ");
    internal static readonly DeviceDescription Laptop = new("laptop", "HP", "ProBook 440 G8", "AAAA", "SARTHE-000123");
    internal static readonly AuditActor Admin = AuditActor.Administrator("admin-1");

    internal static Device Received() => Device.Enrol(Key, Laptop, T0);

    internal static Device Registering()
    {
        var device = Received();
        Assert.True(device.TryStartRegistration(1, "import-1", T0.AddMinutes(1)));
        return device;
    }

    internal static Device Registered()
    {
        var device = Registering();
        Assert.True(device.TryMarkRegistered(1, "import-1", "identity-1", "autopilot-1", T0.AddMinutes(2)));
        return device;
    }

    internal static Device Failed()
    {
        var device = Registering();
        Assert.True(device.TryFail(1, "import-1", "identity-1", "ZtdDeviceAssignedToOtherTenant", "Another organisation holds it.", T0.AddMinutes(2)));
        return device;
    }

    [Fact]
    public void Enrolment_makes_a_received_device_of_attempt_one_with_its_first_history_entry_and_its_event()
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
        Assert.Equal(DeploymentProfileStatus.Unknown, device.ProfileStatus);
        Assert.Equal([AuditEventTypes.DeviceEnrolled], Types(device));
    }

    [Fact]
    public void A_reenrolment_is_counted_and_recorded_and_changes_nothing_else()
    {
        var device = Registering();

        device.RecordReenrolment(T0.AddMinutes(5));

        Assert.Equal(2, device.EnrolmentCount);
        Assert.Equal(DeviceStatus.Registering, device.Status);
        Assert.Equal(2, device.History.Changes.Count);
        Assert.Equal(T0.AddMinutes(5), device.UpdatedAt);
        Assert.Equal(AuditEventTypes.DeviceReenrolled, Types(device)[^1]);
    }

    [Fact]
    public void Starting_registration_puts_a_received_device_in_its_import_before_anything_is_sent()
    {
        var device = Registering();

        Assert.Equal(DeviceStatus.Registering, device.Status);
        Assert.Equal("import-1", device.ImportId);
        Assert.Null(device.ImportedIdentityId);
        Assert.Equal(Device.ImportUnknown, device.ImportStatus);
        Assert.Equal(Key.SchoolUai, device.GroupTag);
        Assert.Equal(T0.AddMinutes(1), device.RegisteringAt);
        Assert.Equal([AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceRegistrationStarted], Types(device));
    }

    [Theory]
    [InlineData("registering")]
    [InlineData("registered")]
    [InlineData("failed")]
    public void Starting_registration_is_refused_unless_received(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryStartRegistration(device.Attempt, "import-2", T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Fact]
    public void Starting_registration_for_a_stale_attempt_is_refused()
    {
        var device = Received();

        Assert.False(device.TryStartRegistration(attempt: 2, "import-1", T0.AddMinutes(1)));
        Assert.Equal(DeviceStatus.Received, device.Status);
    }

    [Fact]
    public void Marking_registered_settles_a_registering_device_visible_in_autopilot_and_clears_an_earlier_error()
    {
        var device = Failed();
        Assert.True(device.TryRequestRetry(Admin, T0.AddMinutes(10)));
        Assert.True(device.TryStartRegistration(2, "import-2", T0.AddMinutes(11)));

        Assert.True(device.TryMarkRegistered(2, "import-2", "identity-2", "autopilot-2", T0.AddMinutes(12)));

        Assert.Equal(DeviceStatus.Registered, device.Status);
        Assert.Equal("autopilot-2", device.AutopilotDeviceId);
        Assert.Equal("identity-2", device.ImportedIdentityId);
        Assert.Equal(Device.ImportComplete, device.ImportStatus);
        Assert.Equal(T0.AddMinutes(12), device.RegisteredAt);
        Assert.Null(device.LastError);
        Assert.False(device.IsUnsettled);
        Assert.False(device.ReadyToProvision);
        Assert.Equal(AuditEventTypes.DeviceRegistered, Types(device)[^1]);
    }

    [Fact]
    public void Marking_registered_is_refused_for_a_device_that_never_started_registration()
    {
        var device = Received();

        Assert.False(device.TryMarkRegistered(1, "import-1", "identity-1", "autopilot-1", T0.AddMinutes(1)));
        Assert.Equal(DeviceStatus.Received, device.Status);
    }

    [Fact]
    public void Marking_registered_from_another_import_or_a_stale_attempt_is_refused()
    {
        var device = Registering();
        var before = Snapshot(device);

        Assert.False(device.TryMarkRegistered(1, "import-other", "identity-9", "autopilot-9", T0.AddMinutes(2)));
        Assert.False(device.TryMarkRegistered(attempt: 0, "import-1", "identity-1", "autopilot-1", T0.AddMinutes(2)));
        Assert.Equal(before, Snapshot(device));
    }

    [Theory]
    [InlineData("registered")]
    [InlineData("failed")]
    public void Marking_registered_is_refused_once_settled(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryMarkRegistered(device.Attempt, "import-1", "identity-9", "autopilot-9", T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Fact]
    public void Failing_settles_an_unsettled_device_with_the_code_the_message_the_identity_and_the_time()
    {
        var device = Failed();

        Assert.Equal(DeviceStatus.Failed, device.Status);
        Assert.Equal(new DeviceError("ZtdDeviceAssignedToOtherTenant", "Another organisation holds it.", T0.AddMinutes(2)), device.LastError);
        Assert.Equal("identity-1", device.ImportedIdentityId);
        Assert.Equal(Device.ImportError, device.ImportStatus);
        Assert.Equal(T0.AddMinutes(2), device.FailedAt);
        Assert.Equal(AuditEventTypes.DeviceRegistrationFailed, Types(device)[^1]);
    }

    [Fact]
    public void A_device_that_was_never_imported_fails_without_an_import_status()
    {
        var device = Received();

        Assert.True(device.TryFail(1, importId: null, importedIdentityId: null, "RegistrationAbandoned", "Every delivery failed.", T0.AddMinutes(1)));

        Assert.Null(device.ImportStatus);
    }

    [Theory]
    [InlineData("registered")]
    [InlineData("failed")]
    public void Failing_is_refused_once_settled(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryFail(device.Attempt, null, null, "ImportTimedOut", "late", T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Fact]
    public void Failing_for_a_stale_attempt_or_from_another_import_is_refused()
    {
        var device = Registering();

        Assert.False(device.TryFail(attempt: 5, "import-1", null, "ImportTimedOut", "late", T0.AddMinutes(2)));
        Assert.False(device.TryFail(1, "import-other", null, "ImportTimedOut", "late", T0.AddMinutes(2)));
        Assert.Equal(DeviceStatus.Registering, device.Status);
    }

    [Fact]
    public void The_profile_of_a_registered_device_is_recorded_and_its_assignment_audited_once()
    {
        var device = Registered();

        Assert.True(device.TryRecordProfile(1, DeploymentProfileStatus.Pending, null, T0.AddMinutes(3)));
        Assert.False(device.TryRecordProfile(1, DeploymentProfileStatus.Pending, null, T0.AddMinutes(4)));
        Assert.True(device.TryRecordProfile(1, DeploymentProfileStatus.Assigned, T0.AddMinutes(5), T0.AddMinutes(6)));

        Assert.Equal(DeploymentProfileStatus.Assigned, device.ProfileStatus);
        Assert.Equal(T0.AddMinutes(5), device.ProfileAssignedAt);
        Assert.True(device.ReadyToProvision);
        Assert.Single(device.PendingEvents, e => e.Type == AuditEventTypes.DeviceProfileAssigned);
    }

    [Theory]
    [InlineData("received")]
    [InlineData("registering")]
    [InlineData("failed")]
    public void A_profile_is_recorded_only_for_a_registered_device(string status)
    {
        var device = In(status);

        Assert.False(device.TryRecordProfile(device.Attempt, DeploymentProfileStatus.Assigned, T0, T0.AddHours(1)));
        Assert.Equal(DeploymentProfileStatus.Unknown, device.ProfileStatus);
    }

    [Fact]
    public void A_retry_makes_a_failed_device_received_again_as_a_new_attempt_and_forgets_the_old_import()
    {
        var device = Failed();

        Assert.True(device.TryRequestRetry(Admin, T0.AddMinutes(10)));

        Assert.Equal(DeviceStatus.Received, device.Status);
        Assert.Equal(2, device.Attempt);
        Assert.Null(device.ImportId);
        Assert.Null(device.ImportedIdentityId);
        Assert.Null(device.ImportStatus);
        Assert.Null(device.AutopilotDeviceId);
        Assert.Null(device.RegisteringAt);
        Assert.Equal(T0.AddMinutes(10), device.RetryRequestedAt);
        Assert.Equal("ZtdDeviceAssignedToOtherTenant", device.LastError?.Code);
        Assert.Equal(Admin, device.PendingEvents[^1].Actor);

        // The old attempt's news can no longer touch it.
        Assert.False(device.TryStartRegistration(1, "import-1", T0.AddMinutes(11)));
        Assert.False(device.TryFail(1, "import-1", null, "Late", "late", T0.AddMinutes(11)));
    }

    [Theory]
    [InlineData("received")]
    [InlineData("registering")]
    [InlineData("registered")]
    public void A_retry_is_refused_unless_failed(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryRequestRetry(Admin, T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Fact]
    public void A_failed_device_enrolling_again_with_another_hash_starts_a_new_attempt_that_sends_the_new_hash()
    {
        var device = Failed();

        Assert.True(device.TryReplaceHash("BBBB", T0.AddMinutes(10)));

        Assert.Equal(DeviceStatus.Received, device.Status);
        Assert.Equal("BBBB", device.HardwareHash);
        Assert.Equal(2, device.Attempt);
        Assert.Equal(2, device.EnrolmentCount);
        Assert.Null(device.ImportId);
        Assert.Null(device.ImportedIdentityId);
        Assert.Null(device.ImportStatus);
        Assert.Null(device.RegisteringAt);
        Assert.Equal("ZtdDeviceAssignedToOtherTenant", device.LastError?.Code);
        var replaced = device.PendingEvents[^1];
        Assert.Equal(AuditEventTypes.DeviceHashReplaced, replaced.Type);
        Assert.Equal(AuditActor.Device(Key.SerialNumber), replaced.Actor);
        Assert.Equal(T0.AddMinutes(10), replaced.OccurredAt);
        Assert.Equal(2, (int)replaced.Data!["attempt"]!);
        Assert.DoesNotContain("BBBB", replaced.Data.ToJsonString(), StringComparison.Ordinal);

        // The old attempt's news can no longer touch it; the new one goes through the pipeline as any attempt.
        Assert.False(device.TryFail(1, "import-1", null, "Late", "late", T0.AddMinutes(11)));
        Assert.True(device.TryStartRegistration(2, "import-2", T0.AddMinutes(11)));
    }

    [Theory]
    [InlineData("received")]
    [InlineData("registering")]
    [InlineData("registered")]
    public void Replacing_the_hash_is_refused_unless_failed(string status)
    {
        var device = In(status);
        var before = Snapshot(device);

        Assert.False(device.TryReplaceHash("BBBB", T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
        Assert.Equal("AAAA", device.HardwareHash);
    }

    [Fact]
    public void A_failed_device_sending_the_same_hash_again_is_not_a_replacement()
    {
        var device = Failed();
        var before = Snapshot(device);

        Assert.False(device.TryReplaceHash("AAAA", T0.AddHours(1)));
        Assert.False(device.TryReplaceHash("", T0.AddHours(1)));
        Assert.Equal(before, Snapshot(device));
    }

    [Fact]
    public void A_device_whose_import_was_lost_goes_back_in_line_in_the_same_attempt_and_starts_once()
    {
        var device = Registering();

        Assert.True(device.TryRequeue(1, "import-1", T0.AddMinutes(20)));
        Assert.Equal(DeviceStatus.Received, device.Status);
        Assert.Null(device.ImportId);
        Assert.Equal(1, device.Attempt);

        Assert.True(device.TryStartRegistration(1, "import-2", T0.AddMinutes(21)));
        var started = device.PendingEvents.Where(e => e.Type == AuditEventTypes.DeviceRegistrationStarted).ToList();
        Assert.Equal(2, started.Count);
        // Same attempt, same start: the same event, which the trail stores once.
        Assert.Equal(started[0].EventId, started[1].EventId);
        Assert.Equal(started[0].OccurredAt, started[1].OccurredAt);
        Assert.Equal(T0.AddMinutes(1), device.RegisteringAt);
    }

    [Theory]
    [InlineData("received")]
    [InlineData("registered")]
    [InlineData("failed")]
    public void Only_a_registering_device_of_that_import_goes_back_in_line(string status)
    {
        var device = In(status);

        Assert.False(device.TryRequeue(device.Attempt, "import-1", T0.AddHours(1)));
        Assert.False(Registering().TryRequeue(1, "import-other", T0.AddHours(1)));
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
    public void Every_status_change_is_in_the_history_with_its_time_and_every_change_has_its_event()
    {
        var device = Failed();
        device.TryRequestRetry(Admin, T0.AddMinutes(10));
        device.TryStartRegistration(2, "import-2", T0.AddMinutes(11));
        device.TryMarkRegistered(2, "import-2", "identity-2", "autopilot-2", T0.AddMinutes(12));

        Assert.Equal(
            [
                new StatusChange(DeviceStatus.Received, T0), new StatusChange(DeviceStatus.Registering, T0.AddMinutes(1)),
                new StatusChange(DeviceStatus.Failed, T0.AddMinutes(2)), new StatusChange(DeviceStatus.Received, T0.AddMinutes(10)),
                new StatusChange(DeviceStatus.Registering, T0.AddMinutes(11)), new StatusChange(DeviceStatus.Registered, T0.AddMinutes(12)),
            ],
            device.History.Changes);
        Assert.Equal(
            [
                AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceRegistrationStarted, AuditEventTypes.DeviceRegistrationFailed,
                AuditEventTypes.DeviceRetryRequested, AuditEventTypes.DeviceRegistrationStarted, AuditEventTypes.DeviceRegistered,
            ],
            Types(device));
        Assert.Equal(device.PendingEvents.Count, device.PendingEvents.Select(e => e.EventId).Distinct().Count());
    }

    private static Device In(string status) => status switch
    {
        "received" => Received(),
        "registering" => Registering(),
        "registered" => Registered(),
        "failed" => Failed(),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    internal static string[] Types(Device device) => device.PendingEvents.Select(e => e.Type).ToArray();

    private static string Snapshot(Device d) =>
        $"{d.Status}|{d.Attempt}|{d.UpdatedAt:O}|{d.ImportId}|{d.ImportedIdentityId}|{d.ImportStatus}|{d.AutopilotDeviceId}|{d.ProfileStatus}|{d.LastError}|{d.History}|{d.PendingEvents.Count}";
}
