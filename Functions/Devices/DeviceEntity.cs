using Azure;
using Azure.Data.Tables;

namespace Sarthe.Enrolment.Devices;

public static class DeviceStatus
{
    public const string Received = "received";
    public const string Registering = "registering";
    public const string Registered = "registered";
    public const string Failed = "failed";

    public static readonly string[] All = [Received, Registering, Registered, Failed];
}

/// <summary>
/// A row of the <c>Devices</c> table: partition = school UAI (load spreads by school, a school's devices
/// are one partition read), row key = serial number in upper case.
/// </summary>
public sealed class DeviceEntity : ITableEntity
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

    public string Status { get; set; } = DeviceStatus.Received;

    public DateTimeOffset EnrolledAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public int EnrolmentCount { get; set; } = 1;

    /// <summary>Registration attempt: 1, then +1 per administrator retry; stale commands carry a lower one.</summary>
    public int Attempt { get; set; } = 1;

    public DateTimeOffset? RegisteringAt { get; set; }

    public DateTimeOffset? RegisteredAt { get; set; }

    public DateTimeOffset? FailedAt { get; set; }

    public DateTimeOffset? RetryRequestedAt { get; set; }

    public string? ImportedIdentityId { get; set; }

    public string? ImportStatus { get; set; }

    public string? GroupTag { get; set; }

    public string? AutopilotDeviceId { get; set; }

    public string? LastErrorCode { get; set; }

    public string? LastErrorMessage { get; set; }

    public DateTimeOffset? LastErrorAt { get; set; }

    /// <summary>
    /// Every status the device has had, with its time: "received@1764295200000;registering@…". The ERDF
    /// report classifies a device by its status at a cut-off from this, so a report rebuilt later gives the
    /// same figures, retries included. A few entries per device: retries are rare.
    /// </summary>
    public string StatusHistory { get; set; } = "";

    public string SchoolUai => PartitionKey;

    /// <summary>Changes status, and records the change in <see cref="StatusHistory"/>.</summary>
    public void SetStatus(string status, DateTimeOffset at)
    {
        Status = status;
        UpdatedAt = at;
        var entry = $"{status}@{at.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        StatusHistory = StatusHistory.Length == 0 ? entry : StatusHistory + ";" + entry;
    }

    /// <summary>The status a history records at (just before) <paramref name="cutoff"/>; null when the device did not exist yet.</summary>
    public static string? StatusAt(string history, DateTimeOffset cutoff)
    {
        var limit = cutoff.ToUnixTimeMilliseconds();
        string? status = null;
        foreach (var entry in history.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = entry.LastIndexOf('@');
            if (at < 0 || !long.TryParse(entry.AsSpan(at + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms))
            {
                continue;
            }

            if (ms >= limit)
            {
                break;
            }

            status = entry[..at];
        }

        return status;
    }

    public string SerialNumber => RowKey;
}
