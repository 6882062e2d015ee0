using System.Text.Json.Serialization;

namespace Sarthe.GraphEmulator;

/// <summary>
/// microsoft.graph.importedWindowsAutopilotDeviceIdentity as Graph v1.0 writes it (microsoft-graph-docs-contrib
/// api-reference/v1.0/resources/intune-enrollment-importedwindowsautopilotdeviceidentity.md). Also the body of a create.
/// </summary>
public sealed class ImportedIdentityResource
{
    [JsonPropertyName("@odata.type")]
    public string ODataType { get; set; } = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity";

    public string Id { get; set; } = "";

    public string? GroupTag { get; set; }

    public string? SerialNumber { get; set; }

    public string? ProductKey { get; set; }

    public string? ImportId { get; set; }

    public byte[]? HardwareIdentifier { get; set; }

    public ImportStateResource State { get; set; } = new();

    public string? AssignedUserPrincipalName { get; set; }
}

/// <summary>microsoft.graph.importedWindowsAutopilotDeviceIdentityState (v1.0 resource page).</summary>
public sealed class ImportStateResource
{
    [JsonPropertyName("@odata.type")]
    public string ODataType { get; set; } = "microsoft.graph.importedWindowsAutopilotDeviceIdentityState";

    /// <summary>unknown, pending, partial, complete or error (the enum page); the emulator never answers partial.</summary>
    public string DeviceImportStatus { get; set; } = ImportStatus.Unknown;

    public string DeviceRegistrationId { get; set; } = "";

    public int DeviceErrorCode { get; set; }

    public string DeviceErrorName { get; set; } = "";
}

/// <summary>Values of importedWindowsAutopilotDeviceIdentityImportStatus the emulator answers.</summary>
public static class ImportStatus
{
    public const string Unknown = "unknown";
    public const string Pending = "pending";
    public const string Complete = "complete";
    public const string Error = "error";
}

/// <summary>
/// microsoft.graph.windowsAutopilotDeviceIdentity as v1.0 writes it: these 17 properties and no profile fields
/// (api-reference/v1.0/resources/intune-enrollment-windowsautopilotdeviceidentity.md; the v1.0 SDK model reads the same).
/// </summary>
public class AutopilotDeviceResource
{
    [JsonPropertyName("@odata.type")]
    public string ODataType { get; set; } = "#microsoft.graph.windowsAutopilotDeviceIdentity";

    public string Id { get; set; } = "";

    public string GroupTag { get; set; } = "";

    public string PurchaseOrderIdentifier { get; set; } = "";

    public string SerialNumber { get; set; } = "";

    public string ProductKey { get; set; } = "";

    public string Manufacturer { get; set; } = "";

    public string Model { get; set; } = "";

    /// <summary>unknown, enrolled, pendingReset, failed or notContacted.</summary>
    public string EnrollmentState { get; set; } = EnrollmentStates.NotContacted;

    public DateTimeOffset LastContactedDateTime { get; set; } = DateTimeOffset.MinValue;

    public string AddressableUserName { get; set; } = "";

    public string UserPrincipalName { get; set; } = "";

    public string ResourceName { get; set; } = "";

    public string SkuNumber { get; set; } = "";

    public string SystemFamily { get; set; } = "";

    public string AzureActiveDirectoryDeviceId { get; set; } = "";

    public string ManagedDeviceId { get; set; } = "";

    public string DisplayName { get; set; } = "";
}

/// <summary>
/// The beta entity: the v1.0 properties plus the profile assignment fields
/// (api-reference/beta/resources/intune-enrollment-windowsautopilotdeviceidentity.md). The other beta-only fields are not emulated.
/// </summary>
public sealed class BetaAutopilotDeviceResource : AutopilotDeviceResource
{
    /// <summary>A windowsAutopilotProfileAssignmentStatus value (<see cref="ProfileStatus"/>).</summary>
    [JsonPropertyOrder(1)]
    public string DeploymentProfileAssignmentStatus { get; set; } = ProfileStatus.Unknown;

    /// <summary>windowsAutopilotProfileAssignmentDetailedStatus; the emulator always answers "none".</summary>
    [JsonPropertyOrder(1)]
    public string DeploymentProfileAssignmentDetailedStatus { get; set; } = "none";

    /// <summary>"Profile set time of the Windows autopilot device"; 0001-01-01 until assigned.</summary>
    [JsonPropertyOrder(1)]
    public DateTimeOffset DeploymentProfileAssignedDateTime { get; set; } = DateTimeOffset.MinValue;
}

/// <summary>windowsAutopilotDeviceIdentity.enrollmentState values the emulator uses (v1.0 resource page).</summary>
public static class EnrollmentStates
{
    public const string NotContacted = "notContacted";
    public const string Enrolled = "enrolled";
}

/// <summary>
/// windowsAutopilotProfileAssignmentStatus (beta enum page, api-reference/beta/resources/
/// intune-enrollment-windowsautopilotprofileassignmentstatus.md), spelling included.
/// </summary>
public static class ProfileStatus
{
    public const string Unknown = "unknown";
    public const string AssignedInSync = "assignedInSync";
    public const string AssignedOutOfSync = "assignedOutOfSync";
    public const string AssignedUnkownSyncState = "assignedUnkownSyncState";
    public const string NotAssigned = "notAssigned";
    public const string Pending = "pending";
    public const string Failed = "failed";
}

/// <summary>Body of POST …/importedWindowsAutopilotDeviceIdentities/import (v1.0 import action page).</summary>
public sealed class ImportActionBody
{
    public List<ImportedIdentityResource>? ImportedWindowsAutopilotDeviceIdentities { get; set; }
}

/// <summary>Body of POST …/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties (v1.0 action page).</summary>
public sealed class UpdateDevicePropertiesBody
{
    public string? UserPrincipalName { get; set; }

    public string? AddressableUserName { get; set; }

    public string? GroupTag { get; set; }

    public string? DisplayName { get; set; }
}

/// <summary>Body of POST /_emulator/outage: its length in emulated seconds, or none for "until DELETE".</summary>
public sealed class OutageBody
{
    public double? Seconds { get; set; }
}

/// <summary>POST /_emulator/delays: the test hooks' delays in real seconds (an absent one is left as it is).</summary>
public sealed class DelaysBody
{
    public double? ImportAnswerSeconds { get; set; }

    public double? StatusReadSeconds { get; set; }
}

/// <summary>An Autopilot device as the emulator holds it, for tests (not a Graph shape).</summary>
public sealed record DeviceSnapshot(
    string Id,
    string SerialNumber,
    string GroupTag,
    string EnrollmentState,
    DateTimeOffset RegisteredAt,
    DateTimeOffset ListedFrom,
    DateTimeOffset? GoneAt,
    string? ProfileName,
    string ProfileStatus,
    DateTimeOffset? ProfileAssignedAt);

/// <summary>What the emulator has seen, by kind, on GET /_emulator/counters and <see cref="GraphEmulatorState.Counters"/>.</summary>
public sealed record EmulatorCounters
{
    /// <summary>Graph requests that carried a token (whatever their answer).</summary>
    public long Requests { get; init; }

    /// <summary>Those of them that were POST, PUT, PATCH or DELETE.</summary>
    public long Writes { get; init; }

    /// <summary>429s for the per-app budget.</summary>
    public long ThrottledByApp { get; init; }

    /// <summary>429s for the tenant's budget (all apps, background load included).</summary>
    public long ThrottledByTenant { get; init; }

    /// <summary>All 429s.</summary>
    public long Throttled => ThrottledByApp + ThrottledByTenant;

    /// <summary>503 and 504 answers: injected faults and outage answers.</summary>
    public long Faults { get; init; }

    public long ImportActions { get; init; }

    /// <summary>Identities accepted by create calls and import actions.</summary>
    public long IdentitiesImported { get; init; }

    public long IdentityCreates { get; init; }

    public long IdentityGets { get; init; }

    public long IdentityListPages { get; init; }

    public long IdentityDeletes { get; init; }

    /// <summary>v1.0 windowsAutopilotDeviceIdentities list pages without $filter.</summary>
    public long AutopilotListPages { get; init; }

    /// <summary>v1.0 windowsAutopilotDeviceIdentities list pages with a $filter.</summary>
    public long AutopilotFilteredLookups { get; init; }

    public long AutopilotGets { get; init; }

    /// <summary>Any read under /beta.</summary>
    public long BetaReads { get; init; }

    public long DeviceUpdates { get; init; }

    public long DeviceDeletes { get; init; }

    /// <summary>Most requests one app sent in one throttle window (throttled ones included).</summary>
    public long MaxAppRequestsInWindow { get; init; }

    /// <summary>Most writes one app sent in one throttle window (throttled ones included).</summary>
    public long MaxAppWritesInWindow { get; init; }

    /// <summary>importedWindowsAutopilotDeviceIdentity records stored now.</summary>
    public long ImportedIdentitiesStored { get; init; }

    /// <summary>Import POSTs whose answer was held by <see cref="GraphEmulatorOptions.ImportAnswerDelay"/> (a test hook).</summary>
    public long ImportAnswersDelayed { get; init; }

    /// <summary>Import POSTs taken whose answer is being held right now.</summary>
    public long ImportAnswersHeld { get; init; }

    /// <summary>Reads of imported identities slowed by <see cref="GraphEmulatorOptions.StatusReadDelay"/> (a test hook).</summary>
    public long StatusReadsDelayed { get; init; }

    /// <summary>Reads of imported identities being slowed right now.</summary>
    public long StatusReadsHeld { get; init; }
}
