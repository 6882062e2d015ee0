using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Tests.Domain;

public sealed class StatusHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 7, 3, 0, TimeSpan.Zero);

    [Fact]
    public void The_status_at_a_cut_off_is_the_last_change_before_it()
    {
        var history = StatusHistory.Empty
            .Append(DeviceStatus.Received, T0)
            .Append(DeviceStatus.Registering, T0.AddMinutes(1))
            .Append(DeviceStatus.Registered, T0.AddMinutes(2));

        Assert.Null(history.StatusAt(T0));
        Assert.Equal(DeviceStatus.Received, history.StatusAt(T0.AddSeconds(30)));
        Assert.Equal(DeviceStatus.Registering, history.StatusAt(T0.AddMinutes(2)));
        Assert.Equal(DeviceStatus.Registered, history.StatusAt(T0.AddDays(1)));
    }

    [Fact]
    public void It_is_stored_as_text_and_read_back_unchanged()
    {
        var history = StatusHistory.Empty.Append(DeviceStatus.Received, T0).Append(DeviceStatus.Failed, T0.AddMilliseconds(1500));

        var text = history.ToString();

        Assert.Equal($"received@{T0.ToUnixTimeMilliseconds()};failed@{T0.ToUnixTimeMilliseconds() + 1500}", text);
        Assert.Equal(history.Changes, StatusHistory.Parse(text).Changes);
    }

    [Fact]
    public void Unreadable_entries_are_skipped_rather_than_failing_the_report()
    {
        var history = StatusHistory.Parse($"received@{T0.ToUnixTimeMilliseconds()};bogus@12;registered@notanumber;;registered");

        Assert.Equal([new StatusChange(DeviceStatus.Received, T0)], history.Changes);
    }

    [Fact]
    public void A_row_written_before_the_history_existed_gets_it_from_its_timestamps()
    {
        var row = new DeviceEntity { EnrolledAt = T0, RegisteringAt = T0.AddMinutes(1), FailedAt = T0.AddMinutes(3), RegisteredAt = T0.AddMinutes(9) };

        Assert.Equal(
            [
                new StatusChange(DeviceStatus.Received, T0), new StatusChange(DeviceStatus.Registering, T0.AddMinutes(1)),
                new StatusChange(DeviceStatus.Failed, T0.AddMinutes(3)), new StatusChange(DeviceStatus.Registered, T0.AddMinutes(9)),
            ],
            StatusHistory.Restore(row).Changes);
    }

    [Fact]
    public void A_thousand_retries_stay_within_the_bound_and_far_below_the_table_storage_property_limit()
    {
        var history = StatusHistory.Empty.Append(DeviceStatus.Received, T0);
        for (var i = 1; i <= 1000; i++)
        {
            // A retry every 20 minutes, each failing a minute later.
            var at = T0.AddMinutes(20 * i);
            history = history.Append(DeviceStatus.Received, at).Append(DeviceStatus.Registering, at.AddSeconds(10)).Append(DeviceStatus.Failed, at.AddMinutes(1));
        }

        Assert.True(history.Changes.Count <= StatusHistory.MaxEntries, $"{history.Changes.Count} entries");
        Assert.True(history.ToString().Length < 2048, $"{history.ToString().Length} characters (Table Storage allows 32K characters per string)");
        Assert.Equal(new StatusChange(DeviceStatus.Received, T0), history.Changes[0]);
        Assert.Equal(DeviceStatus.Failed, history.Changes[^1].Status);
    }

    [Fact]
    public void Bounding_keeps_the_status_at_every_quarter_hour_cut_off_of_the_recent_days_exact()
    {
        // Changes every few minutes for a day: 3 per quarter hour, about 290 in all.
        var exact = new List<StatusChange> { new(DeviceStatus.Received, T0) };
        var history = StatusHistory.Empty.Append(DeviceStatus.Received, T0);
        var statuses = new[] { DeviceStatus.Registering, DeviceStatus.Failed, DeviceStatus.Received };
        for (var i = 1; i < 290; i++)
        {
            var change = new StatusChange(statuses[i % 3], T0.AddMinutes(5 * i));
            exact.Add(change);
            history = history.Append(change.Status, change.At);
        }

        Assert.True(history.Changes.Count <= StatusHistory.MaxEntries);
        var newestKept = history.Changes[1].At;
        var slotsChecked = 0;
        for (var cutOff = new DateTimeOffset(newestKept.Year, newestKept.Month, newestKept.Day, newestKept.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
             cutOff <= T0.AddDays(2);
             cutOff = cutOff.AddMinutes(15))
        {
            var expected = exact.LastOrDefault(c => c.At < cutOff).Status;
            Assert.Equal(expected, history.StatusAt(cutOff));
            slotsChecked++;
        }

        Assert.True(slotsChecked > 8, $"{slotsChecked} cut-offs checked");
        Assert.Null(history.StatusAt(T0));
    }
}
