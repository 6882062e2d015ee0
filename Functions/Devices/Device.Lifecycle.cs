using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// An administrator's changes after enrolment, each guarded like the pipeline's:
/// <code>
///   any but deregistered ──TryMove──▶ same status at another school (GroupTagWanted when Autopilot holds, or will hold, the old tag)
///   any but deregistered ──TryRequestDeregistration──▶ (requested) ─TryMarkRemovalSent─▶ (sent) ──TryDeregister──▶ deregistered   (not while registering)
///                                                      (requested) ──TryRefuseDeregistration──▶ status kept, lastError says why
/// </code>
/// </summary>
public sealed partial class Device
{
    /// <summary>Every school the device belonged to (empty when it never moved).</summary>
    public SchoolHistory Schools => SchoolHistory.Parse(_row.SchoolHistory);

    /// <summary>The school the row is being moved to (the move is not finished).</summary>
    public string? MovingTo => _row.MovingTo;

    public string? GroupTagWanted => _row.GroupTagWanted;

    public DateTimeOffset? GroupTagRequestedAt => _row.GroupTagRequestedAt;

    public DateTimeOffset? DeregistrationRequestedAt => _row.DeregistrationRequestedAt;

    public DateTimeOffset? DeregisteredAt => _row.DeregisteredAt;

    public DateTimeOffset? AutopilotRemovalSentAt => _row.AutopilotRemovalSentAt;

    /// <summary>Some Autopilot work is waiting for this device (a group tag to change, a removal).</summary>
    public bool HasLifecycleWork => GroupTagWanted is not null || DeregistrationRequestedAt is not null;

    /// <summary>
    /// The device now belongs to <paramref name="toUai"/>, from <paramref name="now"/> (its school history says so for
    /// reports). The row is marked <see cref="MovingTo"/>; the store then writes it under the new school's partition.
    /// Autopilot's group tag must follow when the device is, or is being, imported with the old one; a received
    /// device is imported later with its school of then.
    /// </summary>
    public bool TryMove(string toUai, AuditActor administrator, DateTimeOffset now)
    {
        if (Status == DeviceStatus.Deregistered || DeregistrationRequestedAt is not null || MovingTo is not null
            || string.Equals(toUai, SchoolUai, StringComparison.Ordinal))
        {
            return false;
        }

        var from = SchoolUai;
        _row.SchoolHistory = Schools.Moved(from, EnrolledAt, toUai, now).ToString();
        _row.MovingTo = toUai;
        _row.UpdatedAt = now;
        _row.GroupTagWanted = Status is DeviceStatus.Registering or DeviceStatus.Registered ? toUai : null;
        _row.GroupTagRequestedAt = null;
        _pending.Add(DeviceAuditEvents.DeviceMoved(this, from, toUai, administrator, now));
        return true;
    }

    /// <summary>
    /// A registered device that Autopilot shows under another group tag than its school's (registered earlier by a
    /// reseller, by hand, or by another programme: Intune answered 806): the school's tag is wanted, and the device is
    /// not ready to provision until Autopilot shows it (its profile follows the tag). Only a device of this programme's
    /// pipeline gets here: enrolled with its school's key or pre-registered from its school's purchase inventory.
    /// </summary>
    public bool TryClaimGroupTag(string? shownTag, DateTimeOffset now)
    {
        if (Status != DeviceStatus.Registered || string.Equals(shownTag ?? "", SchoolUai, StringComparison.OrdinalIgnoreCase)
            || GroupTagWanted is not null)
        {
            return false;
        }

        _row.GroupTagFound = shownTag ?? "";
        _row.GroupTagWanted = SchoolUai;
        _row.GroupTagRequestedAt = null;
        _row.UpdatedAt = now;
        return true;
    }

    /// <summary>Autopilot shows <paramref name="groupTag"/>, the one wanted: the change is done (a tag found on the device and replaced is audited).</summary>
    public bool TryRecordGroupTag(string? groupTag, DateTimeOffset now)
    {
        if (GroupTagWanted is null || !string.Equals(groupTag, GroupTagWanted, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        _row.GroupTag = GroupTagWanted;
        _row.GroupTagWanted = null;
        _row.GroupTagRequestedAt = null;
        _row.UpdatedAt = now;
        if (_row.GroupTagFound is { } found)
        {
            _row.GroupTagFound = null;
            _pending.Add(DeviceAuditEvents.GroupTagCorrected(this, found.Length == 0 ? null : found, now));
        }

        return true;
    }

    /// <summary>updateDeviceProperties was sent for the wanted tag (Intune applies it later).</summary>
    public bool TryMarkGroupTagRequested(DateTimeOffset now)
    {
        if (GroupTagWanted is null || Status != DeviceStatus.Registered || AutopilotDeviceId is null)
        {
            return false;
        }

        _row.GroupTagRequestedAt = now;
        _row.UpdatedAt = now;
        return true;
    }

    /// <summary>A failed (or received again) device holds no Autopilot identity to retag: its next import carries its school.</summary>
    public bool TryForgetGroupTag(DateTimeOffset now)
    {
        if (GroupTagWanted is null || Status is not (DeviceStatus.Failed or DeviceStatus.Received))
        {
            return false;
        }

        _row.GroupTagWanted = null;
        _row.GroupTagRequestedAt = null;
        _row.UpdatedAt = now;
        return true;
    }

    /// <summary>An administrator asks for the device to be removed from Autopilot; the pipeline does it (see <see cref="TryDeregister"/>).</summary>
    public bool TryRequestDeregistration(AuditActor administrator, DateTimeOffset now)
    {
        if (Status == DeviceStatus.Deregistered || DeregistrationRequestedAt is not null)
        {
            return false;
        }

        _row.DeregistrationRequestedAt = now;
        _row.DeregistrationRequestedBy = administrator.Id;
        _row.UpdatedAt = now;
        return true;
    }

    /// <summary>The removal was sent to Graph (Intune carries it out within minutes; the device is deregistered once it is gone).</summary>
    public bool TryMarkRemovalSent(DateTimeOffset now)
    {
        if (DeregistrationRequestedAt is null || Status is DeviceStatus.Registering or DeviceStatus.Deregistered)
        {
            return false;
        }

        _row.AutopilotRemovalSentAt = now;
        _row.UpdatedAt = now;
        return true;
    }

    /// <summary>
    /// → deregistered: Autopilot no longer holds the device (removed, or never imported). Not while an import is
    /// settling (it could still register the device). Its serial is free from now on.
    /// </summary>
    public bool TryDeregister(DateTimeOffset now)
    {
        if (DeregistrationRequestedAt is null || Status is DeviceStatus.Registering or DeviceStatus.Deregistered)
        {
            return false;
        }

        MoveTo(DeviceStatus.Deregistered, now);
        _row.DeregisteredAt = now;
        _row.GroupTagWanted = null;
        _row.GroupTagRequestedAt = null;
        _pending.Add(DeviceAuditEvents.DeviceDeregistered(this, AuditActor.Administrator(_row.DeregistrationRequestedBy ?? "unknown")));
        return true;
    }

    /// <summary>Graph refused the removal (a device still enrolled in Intune, say): the status stays, the error says why, the request ends.</summary>
    public bool TryRefuseDeregistration(string code, string message, DateTimeOffset now)
    {
        if (DeregistrationRequestedAt is null || Status == DeviceStatus.Deregistered)
        {
            return false;
        }

        _row.DeregistrationRequestedAt = null;
        _row.DeregistrationRequestedBy = null;
        _row.AutopilotRemovalSentAt = null;
        _row.LastErrorCode = code;
        _row.LastErrorMessage = message;
        _row.LastErrorAt = now;
        _row.UpdatedAt = now;
        return true;
    }

    /// <summary>The row a finished move writes under the new school's partition.</summary>
    internal DeviceEntity MovedRow()
    {
        var row = Row.Copy();
        row.PartitionKey = MovingTo ?? throw new InvalidOperationException($"Device {SerialNumber} is not moving.");
        row.MovingTo = null;
        row.ETag = default;
        row.Timestamp = null;
        return row;
    }
}
