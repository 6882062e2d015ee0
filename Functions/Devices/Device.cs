using System.Text.Json;
using System.Text.Json.Nodes;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// A device and the rules of its life. Its state changes only through the transitions below, each of which
/// checks its own preconditions and answers false, changing nothing, when they do not hold:
/// <code>
///   Enrol, PreRegister ──▶ received ──TryStartRegistration──▶ registering ──TryMarkRegistered──▶ registered ──TryRecordProfile
///   Hold ──▶ held ──TryApprove──┘  │                                    └──────────TryFail──────────▶ failed
///                                 └◀──────────TryRequestRetry, TryReplaceHash (attempt + 1)────────────┘
/// </code>
/// Pipeline transitions name the registration <see cref="Attempt"/> and the import they belong to: news from an
/// earlier attempt or another import (a stale or repeated step) changes nothing.
/// Every transition records its audit event in the row it changes (<see cref="PendingEvents"/>), written in the
/// same storage operation as the change itself, so no crash can separate a state from its event; the events are
/// published afterwards and then cleared (<c>DeviceEvents</c>).
/// </summary>
public sealed partial class Device
{
    public const string ImportUnknown = "unknown";
    public const string ImportComplete = "complete";
    public const string ImportError = "error";

    private readonly DeviceEntity _row;
    private readonly List<AuditEvent> _pending;
    private StatusHistory _history;

    internal Device(DeviceEntity row)
    {
        _row = row;
        _history = Devices.StatusHistory.Restore(row);
        _pending = string.IsNullOrEmpty(row.PendingAudit) ? [] : JsonSerializer.Deserialize<List<AuditEvent>>(row.PendingAudit, ApiJson.Options) ?? [];
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

    /// <summary>Registration attempt: 1, then one more per retry (an administrator's, or the pipeline's after a transient failure).</summary>
    public int Attempt => _row.Attempt;

    public DateTimeOffset? RegisteringAt => _row.RegisteringAt;

    public DateTimeOffset? RegisteredAt => _row.RegisteredAt;

    public DateTimeOffset? FailedAt => _row.FailedAt;

    public DateTimeOffset? RetryRequestedAt => _row.RetryRequestedAt;

    /// <summary>The Autopilot import the device is in (or was registered by).</summary>
    public string? ImportId => _row.ImportId;

    /// <summary>The imported identity that decided the outcome (set when the device settles).</summary>
    public string? ImportedIdentityId => _row.ImportedIdentityId;

    public string? ImportStatus => _row.ImportStatus;

    public string? GroupTag => _row.GroupTag;

    /// <summary>The windowsAutopilotDeviceIdentity: set when the device is visible in Autopilot.</summary>
    public string? AutopilotDeviceId => _row.AutopilotDeviceId;

    /// <summary>The deployment profile's assignment, as the contract names it: unknown, notAssigned, pending, assigned or failed.</summary>
    public string ProfileStatus => _row.ProfileStatus ?? DeploymentProfileStatus.Unknown;

    public DateTimeOffset? ProfileAssignedAt => _row.ProfileAssignedAt;

    /// <summary>Registered and its deployment profile assigned: the device may restart into Autopilot.</summary>
    /// <summary>Registered, its profile assigned, and Autopilot shows its school's group tag (no tag change pending).</summary>
    public bool ReadyToProvision => Status == DeviceStatus.Registered && ProfileStatus == DeploymentProfileStatus.Assigned && GroupTagWanted is null;

    public DeviceError? LastError => _row.LastErrorCode is null ? null : new DeviceError(_row.LastErrorCode, _row.LastErrorMessage ?? "", _row.LastErrorAt ?? _row.UpdatedAt);

    public StatusHistory History => _history;

    /// <summary>Audit events of changes stored with the row and not yet cleared (published, or about to be).</summary>
    public IReadOnlyList<AuditEvent> PendingEvents => _pending;

    /// <summary>Still on its way through the pipeline (not settled).</summary>
    public bool IsUnsettled => Status is DeviceStatus.Received or DeviceStatus.Registering;

    /// <summary>The row to store; only the store reads it.</summary>
    internal DeviceEntity Row
    {
        get
        {
            _row.PendingAudit = _pending.Count == 0 ? null : JsonSerializer.Serialize(_pending, ApiJson.Options);
            return _row;
        }
    }

    /// <summary>A first enrolment: the device is received, attempt 1.</summary>
    public static Device Enrol(DeviceKey key, DeviceDescription description, DateTimeOffset now)
    {
        var device = Create(key, description, DeviceStatus.Received, now);
        device._pending.Add(DeviceAuditEvents.DeviceEnrolled(device));
        return device;
    }

    /// <summary>
    /// A first enrolment that the unknown-device policy holds (its serial is not in the school's purchase inventory): the
    /// device is stored as held, and nothing goes to Graph until an administrator approves it (<see cref="TryApprove"/>).
    /// </summary>
    public static Device Hold(DeviceKey key, DeviceDescription description, DateTimeOffset now)
    {
        var device = Create(key, description, DeviceStatus.Held, now);
        device._pending.Add(DeviceAuditEvents.DeviceEnrolled(device));
        device._pending.Add(DeviceAuditEvents.DeviceHeld(device));
        return device;
    }

    /// <summary>
    /// Pre-registration: a device bought with its hardware hash (a manifest line) is received before it ever boots,
    /// enrolled by whoever imported the manifest. Its count of enrolments stays 0 until the device's own first boot.
    /// </summary>
    public static Device PreRegister(DeviceKey key, DeviceDescription description, string manifestId, AuditActor importedBy, DateTimeOffset now)
    {
        var device = Create(key, description, DeviceStatus.Received, now);
        device._row.EnrolmentCount = 0;
        device._pending.Add(DeviceAuditEvents.DevicePreRegistered(device, manifestId, importedBy));
        return device;
    }

    /// <summary>The same device ran first boot again (or its request was retried): counted, nothing else changes.</summary>
    public void RecordReenrolment(DateTimeOffset now)
    {
        _row.EnrolmentCount++;
        _row.UpdatedAt = now;
        _pending.Add(DeviceAuditEvents.DeviceReenrolled(this, now));
    }

    /// <summary>held → received: an administrator lets a held device go on to registration (the same attempt, its first).</summary>
    public bool TryApprove(AuditActor administrator, DateTimeOffset now)
    {
        if (Status != DeviceStatus.Held)
        {
            return false;
        }

        MoveTo(DeviceStatus.Received, now);
        _pending.Add(DeviceAuditEvents.DeviceApproved(this, administrator));
        return true;
    }

    /// <summary>
    /// A pre-registered device from an Autopilot CSV (no type, make or model) boots and says what it is: the empty
    /// fields are filled, nothing else changes, and the change is audited (<c>device.described</c>, the filled fields
    /// before and after: the report counts devices by type, and a key holder said it). False when it had them all.
    /// </summary>
    public bool TryDescribe(DeviceDescription description, DateTimeOffset now)
    {
        if (DeviceType.Length > 0 && Manufacturer.Length > 0 && Model.Length > 0)
        {
            return false;
        }

        var before = new JsonObject();
        var after = new JsonObject();
        void Fill(string field, string? stored, string? said, Action<string> set)
        {
            if (string.IsNullOrEmpty(stored) && !string.IsNullOrEmpty(said))
            {
                before[field] = stored;
                after[field] = said;
                set(said);
            }
        }

        Fill("deviceType", DeviceType, description.DeviceType, v => _row.DeviceType = v);
        Fill("manufacturer", Manufacturer, description.Manufacturer, v => _row.Manufacturer = v);
        Fill("model", Model, description.Model, v => _row.Model = v);
        Fill("assetTag", AssetTag, description.AssetTag, v => _row.AssetTag = v);
        if (after.Count == 0)
        {
            return false;
        }

        _row.UpdatedAt = now;
        _pending.Add(DeviceAuditEvents.DeviceDescribed(this, before, after, now));
        return true;
    }

    /// <summary>
    /// received → registering: the device is put in Autopilot import <paramref name="importId"/>, before anything is
    /// sent to Graph (the import's write-ahead).
    /// </summary>
    public bool TryStartRegistration(int attempt, string importId, DateTimeOffset now)
    {
        if (attempt != Attempt || Status != DeviceStatus.Received || DeregistrationRequestedAt is not null)
        {
            return false;
        }

        MoveTo(DeviceStatus.Registering, now);
        // The first start of an attempt is its start: a device put in line again keeps it (and its audit event, once).
        _row.RegisteringAt ??= now;
        _row.ImportId = importId;
        _row.ImportedIdentityId = null;
        _row.ImportStatus = ImportUnknown;
        _row.GroupTag = SchoolUai;
        _pending.Add(DeviceAuditEvents.RegistrationStarted(this, importId));
        return true;
    }

    /// <summary>
    /// registering → registered: the device is visible in Autopilot as <paramref name="autopilotDeviceId"/>, its
    /// import <paramref name="importId"/> decided by identity <paramref name="importedIdentityId"/>.
    /// </summary>
    public bool TryMarkRegistered(int attempt, string importId, string importedIdentityId, string autopilotDeviceId, DateTimeOffset now)
    {
        if (!IsIn(attempt, importId, DeviceStatus.Registering))
        {
            return false;
        }

        MoveTo(DeviceStatus.Registered, now);
        _row.RegisteredAt = now;
        _row.ImportedIdentityId = importedIdentityId;
        _row.ImportStatus = ImportComplete;
        _row.AutopilotDeviceId = autopilotDeviceId;
        _row.ProfileStatus = DeploymentProfileStatus.Unknown;
        _row.LastErrorCode = null;
        _row.LastErrorMessage = null;
        _row.LastErrorAt = null;
        _pending.Add(DeviceAuditEvents.Registered(this));
        return true;
    }

    /// <summary>
    /// received or registering → failed, with Graph's (or the pipeline's) code and a message for administrators.
    /// A failure from an import names it: only that import can fail the device.
    /// </summary>
    public bool TryFail(int attempt, string? importId, string? importedIdentityId, string code, string message, DateTimeOffset now)
    {
        if (attempt != Attempt || !IsUnsettled || (importId is not null && importId != ImportId))
        {
            return false;
        }

        MoveTo(DeviceStatus.Failed, now);
        _row.FailedAt = now;
        _row.ImportedIdentityId = importedIdentityId ?? ImportedIdentityId;
        _row.ImportStatus = ImportedIdentityId is null ? null : ImportError;
        _row.LastErrorCode = code;
        _row.LastErrorMessage = message;
        _row.LastErrorAt = now;
        _pending.Add(DeviceAuditEvents.RegistrationFailed(this));
        return true;
    }

    /// <summary>
    /// A registered device's deployment profile, as Autopilot reports it (<see cref="DeploymentProfileStatus"/>).
    /// The first time it reads assigned, <c>device.profile_assigned</c> is recorded.
    /// </summary>
    public bool TryRecordProfile(int attempt, string status, DateTimeOffset? assignedAt, DateTimeOffset now)
    {
        if (attempt != Attempt || Status != DeviceStatus.Registered || (status == ProfileStatus && assignedAt == ProfileAssignedAt))
        {
            return false;
        }

        var newlyAssigned = status == DeploymentProfileStatus.Assigned && ProfileStatus != DeploymentProfileStatus.Assigned;
        _row.ProfileStatus = status;
        _row.ProfileAssignedAt = assignedAt;
        _row.UpdatedAt = now;
        if (newlyAssigned)
        {
            _pending.Add(DeviceAuditEvents.ProfileAssigned(this));
        }

        return true;
    }

    /// <summary>
    /// failed → received, as a new attempt: what the earlier one imported is forgotten, its error kept until the
    /// outcome. <paramref name="requestedBy"/> is the administrator, or the pipeline re-driving a transient failure.
    /// </summary>
    public bool TryRequestRetry(AuditActor requestedBy, DateTimeOffset now)
    {
        if (Status != DeviceStatus.Failed)
        {
            return false;
        }

        StartNewAttempt(now);
        _pending.Add(DeviceAuditEvents.RetryRequested(this, requestedBy));
        return true;
    }

    /// <summary>
    /// failed → received with another hardware hash, as a new attempt: the device ran first boot again and sent a hash
    /// that differs from the one Intune refused (802, say). It goes the way of a retry: what the earlier attempt
    /// imported is forgotten (its import deletes its imported identity, as for any processed one), its error kept until
    /// the outcome, and the new hash is what the next import sends. Counted as an enrolment of the device.
    /// </summary>
    /// <remarks>
    /// A manifest line that brings another hash for a failed pre-registered device follows the same rule, by
    /// <paramref name="importedBy"/> (who imported it); the device's count of enrolments does not change then.
    /// </remarks>
    public bool TryReplaceHash(string hardwareHash, DateTimeOffset now, AuditActor? importedBy = null)
    {
        if (Status != DeviceStatus.Failed || string.IsNullOrEmpty(hardwareHash) || string.Equals(hardwareHash, HardwareHash, StringComparison.Ordinal))
        {
            return false;
        }

        StartNewAttempt(now);
        _row.HardwareHash = hardwareHash;
        _row.EnrolmentCount += importedBy is null ? 1 : 0;
        _pending.Add(DeviceAuditEvents.HashReplaced(this, importedBy));
        return true;
    }

    /// <summary>
    /// registering → received, same attempt: the device's import <paramref name="importId"/> no longer exists (it was
    /// lost half-way), so it goes back in line. Not an event of its own: the attempt goes on.
    /// </summary>
    public bool TryRequeue(int attempt, string importId, DateTimeOffset now)
    {
        if (!IsIn(attempt, importId, DeviceStatus.Registering))
        {
            return false;
        }

        MoveTo(DeviceStatus.Received, now);
        _row.ImportId = null;
        _row.ImportStatus = null;
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

    private static Device Create(DeviceKey key, DeviceDescription description, DeviceStatus status, DateTimeOffset now) => new(new DeviceEntity
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
        Status = status.ToName(),
        StatusHistory = Devices.StatusHistory.Empty.Append(status, now).ToString(),
    });

    /// <summary>After its pending events were published: forget them (the store clears the row only if nothing changed since).</summary>
    internal void ClearPendingEvents() => _pending.Clear();

    /// <summary>failed → received as attempt + 1: the earlier attempt's import, identity, Autopilot device and profile are forgotten.</summary>
    private void StartNewAttempt(DateTimeOffset now)
    {
        MoveTo(DeviceStatus.Received, now);
        _row.Attempt++;
        _row.RetryRequestedAt = now;
        _row.RegisteringAt = null;
        _row.ImportId = null;
        _row.ImportedIdentityId = null;
        _row.ImportStatus = null;
        _row.AutopilotDeviceId = null;
        _row.ProfileStatus = null;
        _row.ProfileAssignedAt = null;
    }

    private bool IsIn(int attempt, string importId, DeviceStatus status) => attempt == Attempt && importId == ImportId && Status == status;

    private void MoveTo(DeviceStatus status, DateTimeOffset now)
    {
        Status = status;
        _history = _history.Append(status, now);
        _row.Status = status.ToName();
        _row.StatusHistory = _history.ToString();
        _row.UpdatedAt = now;
    }
}
