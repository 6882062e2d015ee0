using System.Text.Json.Serialization;

namespace Sarthe.GraphEmulator;

/// <summary>microsoft.graph.importedWindowsAutopilotDeviceIdentity, with Graph's property names.</summary>
public sealed class ImportedIdentity
{
    [JsonPropertyName("@odata.type")]
    public string ODataType { get; set; } = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity";

    public string Id { get; set; } = "";

    public string? OrderIdentifier { get; set; }

    public string? SerialNumber { get; set; }

    public string? ProductKey { get; set; }

    public string? ImportId { get; set; }

    public byte[]? HardwareIdentifier { get; set; }

    public string? GroupTag { get; set; }

    public string? AssignedUserPrincipalName { get; set; }

    public ImportState State { get; set; } = new();

    [JsonIgnore]
    public DateTimeOffset ResolvesAt { get; set; }
}

/// <summary>microsoft.graph.importedWindowsAutopilotDeviceIdentityState.</summary>
public sealed class ImportState
{
    [JsonPropertyName("@odata.type")]
    public string ODataType { get; set; } = "microsoft.graph.importedWindowsAutopilotDeviceIdentityState";

    public string DeviceImportStatus { get; set; } = "unknown";

    public string DeviceRegistrationId { get; set; } = "";

    public int DeviceErrorCode { get; set; }

    public string DeviceErrorName { get; set; } = "";
}

/// <summary>microsoft.graph.windowsAutopilotDeviceIdentity (the registered device).</summary>
public sealed class AutopilotIdentity
{
    [JsonPropertyName("@odata.type")]
    public string ODataType { get; set; } = "#microsoft.graph.windowsAutopilotDeviceIdentity";

    public string Id { get; set; } = "";

    public string? GroupTag { get; set; }

    public string PurchaseOrderIdentifier { get; set; } = "";

    public string SerialNumber { get; set; } = "";

    public string ProductKey { get; set; } = "";

    public string Manufacturer { get; set; } = "";

    public string Model { get; set; } = "";

    public string EnrollmentState { get; set; } = "notContacted";

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

/// <summary>Body of the import action.</summary>
public sealed class ImportRequest
{
    public List<ImportedIdentity>? ImportedWindowsAutopilotDeviceIdentities { get; set; }
}

/// <summary>What the emulator has seen, on GET /_emulator/counters.</summary>
public sealed record EmulatorCounters(long Requests, long Writes, long Throttled, long Faults, long ImportActions, long IdentitiesImported);
