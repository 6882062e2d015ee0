using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Tests.Domain;

/// <summary>The administrators' transitions of <see cref="Device"/> (move, deregistration), allowed and refused, and the school history.</summary>
public sealed class DeviceMoveAndDeregistrationTests
{
    private static readonly string From = DeviceLifecycleTests.Key.SchoolUai;
    private const string To = "0720004N";

    // The devices and their moments are the lifecycle tests' own.
    private static readonly DateTimeOffset T0 = DeviceLifecycleTests.T0;
    private static readonly DeviceKey Key = DeviceLifecycleTests.Key;
    private static readonly AuditActor Admin = DeviceLifecycleTests.Admin;

    private static Device Received() => DeviceLifecycleTests.Received();

    private static Device Registering() => DeviceLifecycleTests.Registering();

    private static Device Registered() => DeviceLifecycleTests.Registered();

    private static Device Failed() => DeviceLifecycleTests.Failed();

    private static Device Deregistered()
    {
        var device = Registered();
        Assert.True(device.TryRequestDeregistration(Admin, T0.AddHours(1)));
        Assert.True(device.TryDeregister(T0.AddHours(2)));
        return device;
    }

    [Fact]
    public void A_registered_device_moves_with_its_status_its_school_history_a_wanted_group_tag_and_its_event()
    {
        var device = Registered();

        Assert.True(device.TryMove(To, Admin, T0.AddHours(3)));

        Assert.Equal(To, device.MovingTo);
        Assert.Equal(DeviceStatus.Registered, device.Status);
        Assert.Equal(To, device.GroupTagWanted);
        Assert.Equal(From, device.GroupTag);
        Assert.Equal([new SchoolChange(From, T0), new SchoolChange(To, T0.AddHours(3))], device.Schools.Changes);
        var moved = device.PendingEvents[^1];
        Assert.Equal(AuditEventTypes.DeviceMoved, moved.Type);
        Assert.Equal(Admin, moved.Actor);
        Assert.Equal(To, moved.SchoolUai);
        Assert.Equal(From, moved.Data!["from"]!.GetValue<string>());
        Assert.Equal(To, moved.Data!["to"]!.GetValue<string>());
    }

    [Fact]
    public void A_registering_device_moves_wanting_the_new_tag_since_its_import_may_carry_the_old_one()
    {
        var device = Registering();

        Assert.True(device.TryMove(To, Admin, T0.AddHours(3)));

        Assert.Equal(To, device.GroupTagWanted);
    }

    [Theory]
    [InlineData("received")]
    [InlineData("failed")]
    public void A_device_without_an_autopilot_identity_moves_without_a_wanted_tag_its_next_import_carries_the_new_school(string status)
    {
        var device = status == "received" ? Received() : Failed();

        Assert.True(device.TryMove(To, Admin, T0.AddHours(3)));

        Assert.Null(device.GroupTagWanted);
        Assert.Equal(To, device.MovingTo);
    }

    [Fact]
    public void The_moved_row_is_the_same_device_under_the_new_school_and_no_longer_moving()
    {
        var device = Registered();
        Assert.True(device.TryMove(To, Admin, T0.AddHours(3)));

        var row = device.MovedRow();

        Assert.Equal(To, row.PartitionKey);
        Assert.Equal(Key.SerialNumber, row.RowKey);
        Assert.Null(row.MovingTo);
        Assert.Equal("registered", row.Status);
        Assert.Equal(device.Row.StatusHistory, row.StatusHistory);
        Assert.Contains(AuditEventTypes.DeviceMoved, row.PendingAudit);
    }

    [Fact]
    public void A_move_is_refused_to_its_own_school_when_deregistered_being_deregistered_or_moving_and_changes_nothing()
    {
        var same = Registered();
        var deregistered = Deregistered();
        var beingDeregistered = Registered();
        Assert.True(beingDeregistered.TryRequestDeregistration(Admin, T0.AddHours(1)));
        var moving = Registered();
        Assert.True(moving.TryMove(To, Admin, T0.AddHours(1)));

        foreach (var (device, to) in new[] { (same, From), (deregistered, To), (beingDeregistered, To), (moving, "0721483W") })
        {
            var before = (device.Row.SchoolHistory, device.MovingTo, device.UpdatedAt, device.PendingEvents.Count);
            Assert.False(device.TryMove(to, Admin, T0.AddHours(5)));
            Assert.Equal(before, (device.Row.SchoolHistory, device.MovingTo, device.UpdatedAt, device.PendingEvents.Count));
        }
    }

    [Fact]
    public void The_group_tag_is_recorded_only_when_autopilot_shows_the_one_wanted()
    {
        var device = Registered();
        Assert.True(device.TryMove(To, Admin, T0.AddHours(3)));

        Assert.False(device.TryRecordGroupTag(From, T0.AddHours(4)));
        Assert.Equal(To, device.GroupTagWanted);
        Assert.True(device.TryRecordGroupTag(To.ToLowerInvariant(), T0.AddHours(4)));

        Assert.Null(device.GroupTagWanted);
        Assert.Equal(To, device.GroupTag);
        Assert.False(device.TryRecordGroupTag(To, T0.AddHours(5)));
    }

    [Fact]
    public void Sending_the_group_tag_is_recorded_for_a_registered_device_with_a_wanted_tag_only()
    {
        var moved = Registered();
        Assert.True(moved.TryMove(To, Admin, T0.AddHours(3)));
        var registering = Registering();
        Assert.True(registering.TryMove(To, Admin, T0.AddHours(3)));

        Assert.True(moved.TryMarkGroupTagRequested(T0.AddHours(4)));
        Assert.Equal(T0.AddHours(4), moved.GroupTagRequestedAt);
        Assert.False(registering.TryMarkGroupTagRequested(T0.AddHours(4)));
        Assert.False(Registered().TryMarkGroupTagRequested(T0.AddHours(4)));
    }

    [Fact]
    public void A_wanted_tag_is_forgotten_only_by_a_device_that_holds_no_autopilot_identity()
    {
        var failed = Registering();
        Assert.True(failed.TryMove(To, Admin, T0.AddHours(1)));
        Assert.True(failed.TryFail(1, "import-1", null, "StorageError", "Try again.", T0.AddHours(2)));
        var registered = Registered();
        Assert.True(registered.TryMove(To, Admin, T0.AddHours(1)));

        Assert.True(failed.TryForgetGroupTag(T0.AddHours(3)));
        Assert.Null(failed.GroupTagWanted);
        Assert.False(registered.TryForgetGroupTag(T0.AddHours(3)));
        Assert.Equal(To, registered.GroupTagWanted);
    }

    [Fact]
    public void Deregistration_is_requested_then_done_with_its_history_its_time_and_the_administrators_event()
    {
        var device = Registered();

        Assert.True(device.TryRequestDeregistration(Admin, T0.AddHours(1)));
        Assert.Equal(DeviceStatus.Registered, device.Status);
        Assert.True(device.HasLifecycleWork);
        Assert.True(device.TryMarkRemovalSent(T0.AddHours(1)));
        Assert.True(device.TryDeregister(T0.AddHours(2)));

        Assert.Equal(DeviceStatus.Deregistered, device.Status);
        Assert.Equal(T0.AddHours(2), device.DeregisteredAt);
        Assert.Equal(DeviceStatus.Registered, device.History.StatusAt(T0.AddHours(2)));
        Assert.Equal(DeviceStatus.Deregistered, device.History.StatusAt(T0.AddHours(2).AddTicks(1)));
        Assert.False(device.IsUnsettled);
        var deregistered = device.PendingEvents[^1];
        Assert.Equal(AuditEventTypes.DeviceDeregistered, deregistered.Type);
        Assert.Equal(Admin, deregistered.Actor);
    }

    [Fact]
    public void Deregistration_waits_for_a_registering_device_and_refuses_one_not_requested_or_done_already()
    {
        var registering = Registering();
        Assert.True(registering.TryRequestDeregistration(Admin, T0.AddHours(1)));
        var notRequested = Registered();
        var done = Deregistered();

        Assert.False(registering.TryDeregister(T0.AddHours(2)));
        Assert.False(registering.TryMarkRemovalSent(T0.AddHours(2)));
        Assert.Equal(DeviceStatus.Registering, registering.Status);
        Assert.False(notRequested.TryDeregister(T0.AddHours(2)));
        Assert.False(done.TryDeregister(T0.AddHours(3)));
        Assert.False(done.TryRequestDeregistration(Admin, T0.AddHours(3)));
        Assert.False(registering.TryRequestDeregistration(Admin, T0.AddHours(3)));
    }

    [Fact]
    public void A_received_device_to_deregister_is_never_put_in_an_import()
    {
        var device = Received();
        Assert.True(device.TryRequestDeregistration(Admin, T0.AddMinutes(1)));

        Assert.False(device.TryStartRegistration(1, "import-1", T0.AddMinutes(2)));
        Assert.Equal(DeviceStatus.Received, device.Status);
        Assert.True(device.TryDeregister(T0.AddMinutes(3)));
    }

    [Fact]
    public void A_refused_deregistration_keeps_the_status_says_why_and_ends_the_request()
    {
        var device = Registered();
        Assert.True(device.TryRequestDeregistration(Admin, T0.AddHours(1)));
        Assert.True(device.TryMarkRemovalSent(T0.AddHours(1)));

        Assert.True(device.TryRefuseDeregistration("DeregistrationRefused", "Enrolled in Intune.", T0.AddHours(2)));

        Assert.Equal(DeviceStatus.Registered, device.Status);
        Assert.Equal("DeregistrationRefused", device.LastError!.Code);
        Assert.Null(device.DeregistrationRequestedAt);
        Assert.Null(device.AutopilotRemovalSentAt);
        Assert.False(device.HasLifecycleWork);
        Assert.False(device.TryRefuseDeregistration("DeregistrationRefused", "Again.", T0.AddHours(3)));
        Assert.True(device.TryRequestDeregistration(Admin, T0.AddHours(4)));
    }

    [Fact]
    public void The_school_history_places_a_device_at_its_school_of_the_cut_off_and_a_never_moved_one_at_its_own()
    {
        var history = SchoolHistory.Empty.Moved(From, T0, To, T0.AddDays(2)).Moved(To, T0, "0721483W", T0.AddDays(5));

        Assert.Equal("0720009U", SchoolHistory.Empty.SchoolAt(T0, "0720009U"));
        Assert.Equal(From, history.SchoolAt(T0.AddDays(1), "0721483W"));
        Assert.Equal(From, history.SchoolAt(T0.AddDays(2), "0721483W"));
        Assert.Equal(To, history.SchoolAt(T0.AddDays(2).AddTicks(1), "0721483W"));
        Assert.Equal("0721483W", history.SchoolAt(T0.AddDays(6), "0721483W"));
        Assert.Equal(history.Changes, SchoolHistory.Parse(history.ToString()).Changes);
    }

    [Fact]
    public void The_school_history_is_bounded_and_keeps_the_first_school_and_the_latest_moves()
    {
        var history = SchoolHistory.Empty;
        for (var i = 0; i < 40; i++)
        {
            history = history.Moved(i % 2 == 0 ? From : To, T0, i % 2 == 0 ? To : From, T0.AddDays(i + 1));
        }

        Assert.Equal(SchoolHistory.MaxEntries, history.Changes.Count);
        Assert.Equal(new SchoolChange(From, T0), history.Changes[0]);
        Assert.Equal(T0.AddDays(40), history.Changes[^1].At);
    }
}
