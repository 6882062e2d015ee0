namespace Sarthe.Enrolment.Audit;

/// <summary>The kinds of audit event; <see cref="AuditEvents"/> makes each of them.</summary>
public static class AuditEventTypes
{
    public const string DeviceEnrolled = "device.enrolled";
    public const string DeviceReenrolled = "device.reenrolled";
    public const string DeviceEnrolmentRejected = "device.enrolment_rejected";
    public const string DeviceRegistrationStarted = "device.registration_started";
    public const string DeviceRegistered = "device.registered";
    public const string DeviceRegistrationFailed = "device.registration_failed";
    public const string DeviceRetryRequested = "device.retry_requested";
    public const string DeviceProfileAssigned = "device.profile_assigned";
    public const string DeviceHashReplaced = "device.hash_replaced";
    public const string DeviceHeld = "device.held";
    public const string DeviceApproved = "device.approved";
    public const string DeviceMoved = "device.moved";
    public const string DeviceDeregistered = "device.deregistered";
    public const string DeviceGroupTagCorrected = "device.group_tag_corrected";
    public const string DeviceDescribed = "device.described";
    public const string SchoolKeyRotated = "school.key_rotated";
    public const string ReportFundingBuilt = "report.funding_built";
    public const string InventoryManifestImported = "inventory.manifest_imported";
    public const string InventoryUpdated = "inventory.updated";
    public const string RetentionPurged = "retention.purged";

    public static readonly string[] All =
    [
        DeviceEnrolled, DeviceReenrolled, DeviceEnrolmentRejected, DeviceRegistrationStarted, DeviceRegistered,
        DeviceRegistrationFailed, DeviceRetryRequested, DeviceProfileAssigned, DeviceHashReplaced, SchoolKeyRotated, ReportFundingBuilt,
        DeviceHeld, DeviceApproved,
        InventoryManifestImported, InventoryUpdated, DeviceMoved, DeviceDeregistered, DeviceGroupTagCorrected, DeviceDescribed, RetentionPurged,
    ];
}
