using System.Globalization;
using Azure.Data.Tables;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Retention;

/// <summary>Where one category's rows are, and the filter that selects those dated before an instant.</summary>
public sealed record RetentionTarget(string Category, string Table, Func<DateTimeOffset, string> ExpiredBefore, bool UnderETag = false);

/// <summary>
/// The stored rows each category covers, by table name and the date property each is judged by. Working tables the
/// pipeline empties itself (outboxes, imports, pre-registrations) and reference data (schools, keys) are not here:
/// <c>docs/privacy.md</c> says why.
/// </summary>
public static class RetentionTargets
{
    // The status name a deregistered row has (DeviceStatus.Deregistered) and the audit type of refused attempts.
    private const string Deregistered = "deregistered";

    public static readonly IReadOnlyList<RetentionTarget> All =
    [
        new(RetentionCategory.AuditEntries, TableNames.AuditEvents,
            before => TableClient.CreateQueryFilter($"OccurredAt lt {before} and Type ne {AuditEventTypes.DeviceEnrolmentRejected}")),
        new(RetentionCategory.RejectedAttempts, TableNames.AuditEvents,
            before => TableClient.CreateQueryFilter($"OccurredAt lt {before} and Type eq {AuditEventTypes.DeviceEnrolmentRejected}")),
        // Under its ETag: a row enrolled again since it was read is no longer a deregistered row to delete.
        new(RetentionCategory.DeregisteredDevices, TableNames.Devices,
            before => TableClient.CreateQueryFilter($"Status eq {Deregistered} and DeregisteredAt lt {before}"), UnderETag: true),
        new(RetentionCategory.Archive, TableNames.DeviceArchive,
            before => TableClient.CreateQueryFilter($"DeregisteredAt lt {before}")),
        new(RetentionCategory.Inventory, TableNames.Inventory,
            before => TableClient.CreateQueryFilter($"UpdatedAt lt {before}")),
        new(RetentionCategory.Inventory, TableNames.InventoryManifests,
            before => TableClient.CreateQueryFilter($"ImportedAt lt {before}")),
        // Partition = the report's date (yyyy-MM-dd): string order is date order.
        new(RetentionCategory.Reports, TableNames.FundingReports,
            before => TableClient.CreateQueryFilter($"PartitionKey lt {before.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}")),
    ];
}
