using Azure;
using Azure.Data.Tables;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// A row of the <c>Devices</c> table: partition = school UAI (load spreads by school, a school's devices are one
/// partition read), row key = serial number in upper case. Only <see cref="Device"/> changes it, through its
/// transitions; the properties are settable because the table client needs them to be.
/// </summary>
public sealed partial class DeviceEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string DeviceType { get; set; } = "";

    public string Manufacturer { get; set; } = "";

    public string Model { get; set; } = "";

    public string? AssetTag { get; set; }

    public string HardwareHash { get; set; } = "";

    public string Status { get; set; } = "received";

    public DateTimeOffset EnrolledAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public int EnrolmentCount { get; set; } = 1;

    public int Attempt { get; set; } = 1;

    public DateTimeOffset? RegisteringAt { get; set; }

    public DateTimeOffset? RegisteredAt { get; set; }

    public DateTimeOffset? FailedAt { get; set; }

    public DateTimeOffset? RetryRequestedAt { get; set; }

    public string? ImportId { get; set; }

    public string? ImportedIdentityId { get; set; }

    public string? ImportStatus { get; set; }

    public string? GroupTag { get; set; }

    public string? AutopilotDeviceId { get; set; }

    public string? ProfileStatus { get; set; }

    public DateTimeOffset? ProfileAssignedAt { get; set; }

    /// <summary>Audit events of the changes this row records, not yet cleared: a JSON array (see <see cref="Device.PendingEvents"/>).</summary>
    public string? PendingAudit { get; set; }

    public string? LastErrorCode { get; set; }

    public string? LastErrorMessage { get; set; }

    public DateTimeOffset? LastErrorAt { get; set; }

    /// <summary><see cref="Devices.StatusHistory"/> as text.</summary>
    public string StatusHistory { get; set; } = "";
}
