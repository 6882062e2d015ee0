using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Sarthe.Enrolment.Devices;

/// <summary>One school a device belonged to, from <see cref="At"/> on.</summary>
public readonly record struct SchoolChange(string SchoolUai, DateTimeOffset At);

/// <summary>
/// The schools a moved device belonged to, oldest first, stored as <c>0720001K@1764295200000;0720004N@…</c>: the
/// funding report counts a device at the school it belonged to at the cut-off, so a report rebuilt after a move gives
/// the same figures. Empty for a device that never moved (it always belonged to its current school). Bounded like
/// <see cref="StatusHistory"/>: beyond <see cref="MaxEntries"/> moves the oldest after the first are dropped (only
/// reports of those old days, rebuilt after so many moves, would place the device at a later school).
/// </summary>
public readonly struct SchoolHistory
{
    public const int MaxEntries = 16;

    private readonly ImmutableArray<SchoolChange> _changes;

    private SchoolHistory(ImmutableArray<SchoolChange> changes) => _changes = changes;

    public static SchoolHistory Empty => new([]);

    public IReadOnlyList<SchoolChange> Changes => _changes.IsDefault ? [] : _changes;

    /// <summary>A move from <paramref name="from"/> (where the device was since <paramref name="since"/> if nothing says otherwise) to <paramref name="to"/>.</summary>
    public SchoolHistory Moved(string from, DateTimeOffset since, string to, DateTimeOffset at)
    {
        var changes = _changes.IsDefault || _changes.IsEmpty ? [new SchoolChange(from, since)] : _changes;
        changes = changes.Add(new SchoolChange(to, at));
        return new SchoolHistory(changes.Length <= MaxEntries ? changes : [changes[0], .. changes[(changes.Length - MaxEntries + 1)..]]);
    }

    /// <summary>The school just before <paramref name="cutOff"/>: <paramref name="current"/> for a device that never moved.</summary>
    public string SchoolAt(DateTimeOffset cutOff, string current)
    {
        if (Changes.Count == 0)
        {
            return current;
        }

        var school = Changes[0].SchoolUai;
        foreach (var change in Changes)
        {
            if (change.At >= cutOff)
            {
                break;
            }

            school = change.SchoolUai;
        }

        return school;
    }

    public static SchoolHistory Parse(string? stored)
    {
        var changes = ImmutableArray.CreateBuilder<SchoolChange>();
        foreach (var entry in (stored ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = entry.LastIndexOf('@');
            if (at > 0 && long.TryParse(entry.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                changes.Add(new SchoolChange(entry[..at], DateTimeOffset.FromUnixTimeMilliseconds(ms)));
            }
        }

        return new SchoolHistory(changes.ToImmutable());
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var change in Changes)
        {
            text.Append(text.Length == 0 ? "" : ";").Append(change.SchoolUai).Append('@')
                .Append(change.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
