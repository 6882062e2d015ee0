namespace Sarthe.Enrolment.Devices;

/// <summary>
/// A device and the rules of its life. Its state changes only through the transitions below, each of which
/// checks its own preconditions and answers false, changing nothing, when they do not hold:
/// <code>
///   Enrol ──▶ received ──TryStartRegistration──▶ registering ──TryMarkRegistered──▶ registered
///                │  └───────────TryMarkRegistered / TryFail───────┘ └──TryFail──▶ failed
///                └◀──────────────────────TryRequestRetry (attempt + 1)────────────────┘
/// </code>
/// Pipeline transitions name the registration <see cref="Attempt"/> they belong to: a message of an earlier
/// attempt (a stale or redelivered queue message) changes nothing.
/// </summary>
public sealed class Device
{
    public const string ImportUnknown = "unknown";
    public const string ImportComplete = "complete";
    public const string ImportError = "error";

    private readonly DeviceEntity _row;
    private StatusHistory _history;

    internal Device(DeviceEntity row)
    {
        _row = row;
        _history = Devices.StatusHistory.Restore(row);
        Status = DeviceStatusNames.Parse(row.Status) ?? throw new InvalidDataException($"Device {row.RowKey} has an unknown status '{row.Status}'.");
    }

    public string SerialNumber => _row.RowKey;

    public string SchoolUai => _row.PartitionKey;

    public DeviceKey Key => new(SchoolUai, SerialNumber);

    public string DeviceType => _row.DeviceType;

    public string Manufacturer => _row.Manufacturer;

    public string Model => _row.Model;

    public string? AssetTag => _row.AssetTag;

    public string HardwareHash => _row.HardwareHash;

    public DeviceStatus Status { get; private set; }

    public DateTimeOffset EnrolledAt => _row.EnrolledAt;

    public DateTimeOffset UpdatedAt => _row.UpdatedAt;

    public int EnrolmentCount => _row.EnrolmentCount;

    /// <summary>Registration attempt: 1, then one more per administrator retry.</summary>
    public int Attempt => _row.Attempt;

    public DateTimeOffset? RegisteringAt => _row.RegisteringAt;

    public DateTimeOffset? RegisteredAt => _row.RegisteredAt;

    public DateTimeOffset? RetryRequestedAt => _row.RetryRequestedAt;

    public DateTimeOffset? FailedAt => _row.FailedAt;

    public string? ImportedIdentityId => _row.ImportedIdentityId;

    public string? ImportStatus => _row.ImportStatus;

    public string? GroupTag => _row.GroupTag;

    public string? AutopilotDeviceId => _row.AutopilotDeviceId;

    public DeviceError? LastError => _row.LastErrorCode is null ? null : new DeviceError(_row.LastErrorCode, _row.LastErrorMessage ?? "", _row.LastErrorAt ?? _row.UpdatedAt);

    public StatusHistory History => _history;

    /// <summary>Still on its way through the pipeline (not settled).</summary>
    public bool IsUnsettled => Status is DeviceStatus.Received or DeviceStatus.Registering;

    /// <summary>The row to store; only the store reads it.</summary>
    internal DeviceEntity Row => _row;

    /// <summary>A first enrolment: the device is received, attempt 1.</summary>
    public static Device Enrol(DeviceKey key, DeviceDescription description, DateTimeOffset now) => new(new DeviceEntity
    {
        PartitionKey = key.SchoolUai,
        RowKey = key.SerialNumber,
        DeviceType = description.DeviceType,
        Manufacturer = description.Manufacturer,
        Model = description.Model,
        AssetTag = description.AssetTag,
        HardwareHash = description.HardwareHash,
        EnrolledAt = now,
        UpdatedAt = now,
        Status = DeviceStatus.Received.ToName(),
        StatusHistory = Devices.StatusHistory.Empty.Append(DeviceStatus.Received, now).ToString(),
    });

    /// <summary>The same device ran first boot again (or its request was retried): counted, nothing else changes.</summary>
    public void RecordReenrolment(DateTimeOffset now)
    {
        _row.EnrolmentCount++;
        _row.UpdatedAt = now;
    }

    /// <summary>received → registering: the device is in Autopilot import <paramref name="importedIdentityId"/>.</summary>
    public bool TryStartRegistration(int attempt, string importedIdentityId, DateTimeOffset now)
    {
        if (attempt != Attempt || Status != DeviceStatus.Received)
        {
            return false;
        }

        MoveTo(DeviceStatus.Registering, now);
        _row.RegisteringAt = now;
        _row.ImportedIdentityId = importedIdentityId;
        _row.ImportStatus = ImportUnknown;
        _row.GroupTag = SchoolUai;
        return true;
    }

    /// <summary>received or registering → registered, as Autopilot device <paramref name="autopilotDeviceId"/>.</summary>
    public bool TryMarkRegistered(int attempt, string? importedIdentityId, string? autopilotDeviceId, DateTimeOffset now)
    {
        if (attempt != Attempt || !IsUnsettled)
        {
            return false;
        }

        MoveTo(DeviceStatus.Registered, now);
        _row.RegisteredAt = now;
        _row.RegisteringAt ??= now;
        _row.ImportedIdentityId ??= importedIdentityId;
        _row.ImportStatus = ImportComplete;
        _row.GroupTag = SchoolUai;
        _row.AutopilotDeviceId = autopilotDeviceId;
        _row.LastErrorCode = null;
        _row.LastErrorMessage = null;
        _row.LastErrorAt = null;
        return true;
    }

    /// <summary>received or registering → failed, with Graph's (or the pipeline's) code and a message for administrators.</summary>
    public bool TryFail(int attempt, string code, string message, DateTimeOffset now)
    {
        if (attempt != Attempt || !IsUnsettled)
        {
            return false;
        }

        MoveTo(DeviceStatus.Failed, now);
        _row.FailedAt = now;
        _row.ImportStatus = ImportedIdentityId is null ? null : ImportError;
        _row.LastErrorCode = code;
        _row.LastErrorMessage = message;
        _row.LastErrorAt = now;
        return true;
    }

    /// <summary>failed → received, as a new attempt: what the earlier one imported is forgotten, its error kept until the outcome.</summary>
    public bool TryRequestRetry(DateTimeOffset now)
    {
        if (Status != DeviceStatus.Failed)
        {
            return false;
        }

        MoveTo(DeviceStatus.Received, now);
        _row.Attempt++;
        _row.RetryRequestedAt = now;
        _row.ImportedIdentityId = null;
        _row.ImportStatus = null;
        _row.AutopilotDeviceId = null;
        return true;
    }

    /// <summary>
    /// The sweep takes an unsettled device that has not changed since <paramref name="seenUpdatedAt"/> to drive it
    /// again; taking it counts as a change, so it waits a whole StuckAfter before the next sweep may take it.
    /// </summary>
    public bool TryTakeForRedrive(DateTimeOffset seenUpdatedAt, DateTimeOffset now)
    {
        if (!IsUnsettled || UpdatedAt != seenUpdatedAt)
        {
            return false;
        }

        _row.UpdatedAt = now;
        return true;
    }

    private void MoveTo(DeviceStatus status, DateTimeOffset now)
    {
        Status = status;
        _history = _history.Append(status, now);
        _row.Status = status.ToName();
        _row.StatusHistory = _history.ToString();
        _row.UpdatedAt = now;
    }
}
