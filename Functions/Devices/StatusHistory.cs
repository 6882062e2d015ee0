using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Sarthe.Enrolment.Devices;

/// <summary>One status a device had, from <see cref="At"/> on.</summary>
public readonly record struct StatusChange(DeviceStatus Status, DateTimeOffset At);

/// <summary>
/// Every status a device has had, oldest first, stored as <c>received@1764295200000;registering@…</c>. The ERDF
/// report classifies a device by its status at a cut-off from this, so a report rebuilt later gives the same
/// figures. Bounded: Table Storage refuses a string property over 64 KiB, and a device retried every hour for
/// weeks must not get there.
/// </summary>
/// <remarks>
/// Beyond <see cref="MaxEntries"/> entries, changes that fall in the same quarter of an hour keep only the last
/// one: report cut-offs are midnights of a time zone, and every zone's offset is a multiple of 15 minutes, so the
/// status at any cut-off is unchanged. If that is not enough, the oldest changes after the first are dropped: the
/// enrolment time stays exact, and only reports of those old days (rebuilt after so many changes) would see the
/// device as still received.
/// </remarks>
public readonly struct StatusHistory
{
    public const int MaxEntries = 32;
    private static readonly long SlotTicks = TimeSpan.FromMinutes(15).Ticks;

    private readonly ImmutableArray<StatusChange> _changes;

    private StatusHistory(ImmutableArray<StatusChange> changes) => _changes = changes;

    public static StatusHistory Empty => new([]);

    public IReadOnlyList<StatusChange> Changes => _changes.IsDefault ? [] : _changes;

    public StatusHistory Append(DeviceStatus status, DateTimeOffset at)
    {
        var changes = (_changes.IsDefault ? [] : _changes).Add(new StatusChange(status, at));
        return new StatusHistory(changes.Length <= MaxEntries ? changes : Bound(changes));
    }

    /// <summary>The status just before <paramref name="cutOff"/>; null when the device did not exist yet.</summary>
    public DeviceStatus? StatusAt(DateTimeOffset cutOff)
    {
        DeviceStatus? status = null;
        foreach (var change in Changes)
        {
            if (change.At >= cutOff)
            {
                break;
            }

            status = change.Status;
        }

        return status;
    }

    public static StatusHistory Parse(string? stored)
    {
        var changes = ImmutableArray.CreateBuilder<StatusChange>();
        foreach (var entry in (stored ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = entry.LastIndexOf('@');
            if (at > 0
                && DeviceStatusNames.Parse(entry[..at]) is { } status
                && long.TryParse(entry.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                changes.Add(new StatusChange(status, DateTimeOffset.FromUnixTimeMilliseconds(ms)));
            }
        }

        return new StatusHistory(changes.ToImmutable());
    }

    /// <summary>The history of a stored row; rows written before the history existed get it from their timestamps.</summary>
    public static StatusHistory Restore(DeviceEntity row)
    {
        if (row.StatusHistory.Length > 0)
        {
            return Parse(row.StatusHistory);
        }

        (DeviceStatus Status, DateTimeOffset? At)[] steps =
        [
            (DeviceStatus.Received, row.EnrolledAt == default ? null : row.EnrolledAt),
            (DeviceStatus.Registering, row.RegisteringAt),
            (DeviceStatus.Registered, row.RegisteredAt),
            (DeviceStatus.Failed, row.FailedAt),
        ];
        return steps.Where(s => s.At is not null).OrderBy(s => s.At)
            .Aggregate(Empty, (history, step) => history.Append(step.Status, step.At!.Value));
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var change in Changes)
        {
            text.Append(text.Length == 0 ? "" : ";").Append(change.Status.ToName()).Append('@')
                .Append(change.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static ImmutableArray<StatusChange> Bound(ImmutableArray<StatusChange> changes)
    {
        // The last change of each quarter hour, and the very first change (when the device came to exist).
        var compacted = changes
            .Select((change, index) => (change, index))
            .Where(c => c.index == 0 || c.index == changes.Length - 1 || Slot(changes[c.index + 1]) != Slot(c.change))
            .Select(c => c.change)
            .ToImmutableArray();
        return compacted.Length <= MaxEntries
            ? compacted
            : [compacted[0], .. compacted[(compacted.Length - MaxEntries + 1)..]];
    }

    private static long Slot(StatusChange change) => change.At.UtcTicks / SlotTicks;
}
