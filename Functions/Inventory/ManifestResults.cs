namespace Sarthe.Enrolment.Inventory;

/// <summary>A line that was not stored, and why, field by field.</summary>
public sealed record RejectedLine(int Line, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>
/// The contract's answer to an import: at most the first <see cref="RejectedLines.MaxListed"/> rejected lines in file
/// order; <see cref="RejectedCount"/> counts them all and <see cref="RejectedByField"/> counts, over all of them, the
/// lines each field rejected.
/// </summary>
public sealed record ManifestImportResult(
    string ManifestId, string Name, int Rows, int Accepted, int Updated, int Unchanged, IReadOnlyList<RejectedLine> Rejected, int RejectedCount, IReadOnlyDictionary<string, int> RejectedByField);

/// <summary>
/// The rejected lines of one import, bounded whatever the file: the first <see cref="MaxListed"/> by line number (the
/// writers reject lines out of order, so the kept set is a max-heap that drops its last line when full) and counts by
/// field for all. Shared by the reader and the writers.
/// </summary>
public sealed class RejectedLines
{
    /// <summary>How many rejected lines an import's answer lists (contract v1.2).</summary>
    public const int MaxListed = 1000;

    private readonly Lock _gate = new();
    private readonly PriorityQueue<RejectedLine, int> _first = new(Comparer<int>.Create((a, b) => b.CompareTo(a)));
    private readonly SortedDictionary<string, int> _byField = new(StringComparer.Ordinal);

    public int Count { get; private set; }

    public void Add(RejectedLine line)
    {
        lock (_gate)
        {
            Count++;
            foreach (var field in line.Errors.Keys)
            {
                _byField[field] = _byField.GetValueOrDefault(field) + 1;
            }

            _first.Enqueue(line, line.Line);
            if (_first.Count > MaxListed)
            {
                _first.Dequeue();
            }
        }
    }

    public IReadOnlyList<RejectedLine> Listed()
    {
        lock (_gate)
        {
            return _first.UnorderedItems.Select(item => item.Element).OrderBy(r => r.Line).ToList();
        }
    }

    public IReadOnlyDictionary<string, int> ByField()
    {
        lock (_gate)
        {
            return new SortedDictionary<string, int>(_byField, StringComparer.Ordinal);
        }
    }
}

/// <summary>What an import came to: refused whole, or imported (with the lines it rejected).</summary>
public abstract record ManifestOutcome
{
    /// <summary>The file as a whole is unusable (not CSV, wrong header): nothing was written.</summary>
    public sealed record Refused(IReadOnlyDictionary<string, string[]> Errors) : ManifestOutcome;

    public sealed record Imported(ManifestImportResult Result) : ManifestOutcome;
}
