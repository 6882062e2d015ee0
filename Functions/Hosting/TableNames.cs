namespace Sarthe.Enrolment.Hosting;

/// <summary>Table names, fixed (queue names are settings: see <see cref="TriggerOptions"/>).</summary>
public static class TableNames
{
    public const string Schools = "Schools";
    public const string SchoolKeys = "SchoolKeys";
    public const string Devices = "Devices";
    public const string DeviceSerials = "DeviceSerials";
    public const string AuditEvents = "AuditEvents";
    public const string RegistrationOutbox = "RegistrationOutbox";
    public const string AutopilotImports = "AutopilotImports";
    public const string FundingReports = "FundingReports";
    public const string Inventory = "Inventory";
    public const string InventoryManifests = "InventoryManifests";
    public const string DeviceArchive = "DeviceArchive";
    public const string DeviceLifecycle = "DeviceLifecycle";

    public const string PreRegistrations = "PreRegistrations";

    public static readonly IReadOnlyList<string> All = [Schools, SchoolKeys, Devices, DeviceSerials, AuditEvents, RegistrationOutbox, AutopilotImports, FundingReports, Inventory, InventoryManifests, DeviceArchive, DeviceLifecycle, PreRegistrations];
}
