using System.Text.RegularExpressions;
using Sarthe.DevHost;

namespace Sarthe.Enrolment.Tests.Infrastructure;

/// <summary>
/// The annex of <c>docs/privacy.md</c>: every field the product stores, per table, as the data protection officer reads
/// it. A field name ending in digits (<c>Devices0</c>, <c>Devices12</c>) stands for the numbered family (<c>DevicesN</c>).
/// </summary>
public static partial class DataInventory
{
    public static readonly IReadOnlyDictionary<string, IReadOnlySet<string>> Declared = Read();

    /// <summary>The fields stored without being declared for <paramref name="table"/>.</summary>
    public static IEnumerable<string> Undeclared(string table, IEnumerable<string> stored) =>
        stored.Where(field => !IsKey(field) && !(Declared.TryGetValue(table, out var fields) && fields.Contains(Family(field)))).Distinct().Order(StringComparer.Ordinal);

    public static bool IsKey(string field) => field is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag" or "ETag";

    public static string Family(string field) => TrailingDigits().Replace(field, "N");

    private static Dictionary<string, IReadOnlySet<string>> Read()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "privacy.md"));
        var annex = text[text.IndexOf("## Annexe / Annex", StringComparison.Ordinal)..];
        var rows = AnnexRow().Matches(annex).ToDictionary(m => m.Groups["table"].Value, m => m.Groups["fields"].Value);
        return rows.ToDictionary(
            row => row.Key,
            row =>
            {
                // "the fields of `Devices`": another table's fields.
                var source = SameAs().Match(row.Value) is { Success: true } same ? rows[same.Groups["table"].Value] : row.Value;
                return (IReadOnlySet<string>)Backticked().Matches(source).Select(m => Family(m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
            });
    }

    [GeneratedRegex(@"^\|\s*`(?<table>\w+)`\s*\|[^|]*\|(?<fields>[^|]*)\|", RegexOptions.Multiline)]
    private static partial Regex AnnexRow();

    [GeneratedRegex(@"the fields of `(?<table>\w+)`")]
    private static partial Regex SameAs();

    [GeneratedRegex(@"`(\w+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"\d+$")]
    private static partial Regex TrailingDigits();
}
