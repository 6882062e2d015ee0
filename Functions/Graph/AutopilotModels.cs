namespace Sarthe.Enrolment.Graph;

/// <summary>One device to import: serial number, Autopilot hardware hash (base64) and group tag.</summary>
public sealed record AutopilotImportItem(string SerialNumber, string HardwareHashBase64, string GroupTag);

/// <summary>What Graph reports of one imported identity (importedWindowsAutopilotDeviceIdentity and its state).</summary>
public sealed record AutopilotImportState(string IdentityId, string? ImportId, string? SerialNumber, string Status, int? ErrorCode, string? ErrorName, string? RegistrationId = null)
{
    public const string Complete = "complete";
    public const string Error = "error";

    /// <summary>The identity is gone (deleted, or never kept by Intune).</summary>
    public const string Missing = "missing";

    /// <summary>Imported and settled one way or the other (anything else, unknown, pending or partial, is still being processed).</summary>
    public bool IsSettled => Status is Complete or Error or Missing;

    public static AutopilotImportState MissingFor(string identityId) => new(identityId, null, null, Missing, null, null);
}

/// <summary>A windowsAutopilotDeviceIdentity: the device registered in Autopilot, and its profile's assignment (Graph beta) when read.</summary>
public sealed record AutopilotDevice(string Id, string SerialNumber, string? GroupTag, string? ProfileAssignmentStatus, DateTimeOffset? ProfileAssignedAt);

/// <summary>A whole list read page after page, and how many pages (requests) it took.</summary>
public sealed record AutopilotListing<T>(IReadOnlyList<T> Items, int Pages);

/// <summary>What a removal from Autopilot came to: removed (or already gone), or refused with Graph's code and message.</summary>
public sealed record AutopilotRemoval(bool IsRemoved, string? Code = null, string? Message = null)
{
    public static readonly AutopilotRemoval Removed = new(true);
}
