using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Models;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Inventory;

namespace Sarthe.Enrolment.OpenApi;

/// <summary>
/// The route and query parameters of the API as the functions read them: their types, bounds, values and
/// whether they are required, taken from the constants the parsers use. A parameter a function names in
/// <see cref="ApiOperationAttribute.Query"/> without a description here stops the document from being built.
/// </summary>
internal static class ApiParameters
{
    /// <summary>Seven digits and a check letter, any case (the check letter itself is verified by the service).</summary>
    public const string UaiPattern = "^[0-9]{7}[A-Za-z]$";

    public const string SerialNumberPattern = "^[A-Za-z0-9._-]{1,64}$";

    public static OpenApiSchema Uai() => new()
    {
        Type = "string", Pattern = UaiPattern, MinLength = 8, MaxLength = 8,
        Example = new OpenApiString("0720001K"),
    };

    public static OpenApiSchema SerialNumber() => new()
    {
        Type = "string", Pattern = SerialNumberPattern, MinLength = 1, MaxLength = Devices.SerialNumber.MaxLength,
        Example = new OpenApiString("5CG1234XYZ"),
    };

    public static OpenApiParameter Route(string operationId, string name) => name switch
    {
        "uai" => Parameter(name, ParameterLocation.Path, "UAI of a school of the registry (upper or lower case).", Uai(), required: true),
        "serialNumber" => Parameter(name, ParameterLocation.Path, "Serial number of the device (matched case-insensitively).", SerialNumber(), required: true),
        "reportDate" => Parameter(name, ParameterLocation.Path, "A report day (yyyy-MM-dd), or latest for the newest report built.", new OpenApiSchema
        {
            Type = "string", Pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2}|latest)$", Example = new OpenApiString("2026-11-28"),
        }, required: true),
        _ => throw new InvalidOperationException($"Route parameter {name} of {operationId} has no description in {nameof(ApiParameters)}."),
    };

    public static OpenApiParameter Query(string operationId, string name) => (operationId, name) switch
    {
        (_, "pageSize") => Parameter(name, ParameterLocation.Query, Paging.PageSizeRule, new OpenApiSchema
        {
            Type = "integer", Format = "int32", Minimum = 1, Maximum = Paging.MaxPageSize, Default = new OpenApiInteger(Paging.DefaultPageSize),
        }),
        (_, "continuationToken") => Parameter(name, ParameterLocation.Query, "The token of the previous page, unchanged: " + Paging.TokenRule, new OpenApiSchema
        {
            Type = "string", MinLength = 1, MaxLength = 512,
        }),
        (_, "schoolUai") => Parameter(name, ParameterLocation.Query, "UAI of a school of the registry.", Uai()),
        ("ListSchoolDevices", "status") => Parameter(name, ParameterLocation.Query, "Only the devices of this status.", Values(nameof(DeviceStatus), DeviceStatusNames.All.Select(s => s.ToName()))),
        ("ListSchoolDevices", "format") => Parameter(name, ParameterLocation.Query, "json (a page, the default) or autopilot-csv (the school's devices with a hardware hash, as the Windows Autopilot CSV; Accept: text/csv does the same).", Values("DeviceListFormat", ["json", "autopilot-csv"])),
        ("GetFundingReport", "format") => Parameter(name, ParameterLocation.Query, "json (the default) or csv (Accept: text/csv does the same).", Values("ReportFormat", ["json", "csv"])),
        ("GetFundingReport", "view") => Parameter(name, ParameterLocation.Query, "The CSV's lines: per school (the default) or per purchase order and invoice.", Values("ReportView", ["schools", "purchases"])),
        ("BuildFundingReportNow", "date") => Parameter(name, ParameterLocation.Query, "The report day (yyyy-MM-dd); today in the report's time zone when absent.", new OpenApiSchema { Type = "string", Format = "date" }),
        ("GetAuditEvents", "serialNumber") => Parameter(name, ParameterLocation.Query, "The device whose trail is read (give serialNumber or schoolUai, not both).", SerialNumber()),
        ("GetAuditEvents", "from") => Parameter(name, ParameterLocation.Query, "Events at or after this instant (ISO 8601; without an offset, UTC).", new OpenApiSchema { Type = "string", Format = "date-time" }),
        ("GetAuditEvents", "to") => Parameter(name, ParameterLocation.Query, "Events at or before this instant (ISO 8601; without an offset, UTC); not before from.", new OpenApiSchema { Type = "string", Format = "date-time" }),
        ("ImportManifest", "name") => Parameter(name, ParameterLocation.Query, "The file's name, for the list of manifests: 1-128 characters without control characters.", new OpenApiSchema
        {
            Type = "string", MinLength = 1, MaxLength = 128, Example = new OpenApiString("livraison-2026-11.csv"),
        }, required: true),
        ("ListInventory", "purchaseOrder") => Parameter(name, ParameterLocation.Query, "Only the rows of this purchase order (exact).", new OpenApiSchema
        {
            Type = "string", MinLength = 1, MaxLength = ManifestRowParser.MaxTextLength,
        }),
        ("RotateEnrolmentKey", "format") => Parameter(name, ParameterLocation.Query, "json (the key alone, the default) or zip (the school's provisioning bundle; Accept: application/zip does the same).", Values("KeyFormat", ["json", "zip"])),
        ("RotateEnrolmentKey", "endpoint") => Parameter(name, ParameterLocation.Query, "The absolute http(s) address devices call, without query or fragment, written in the bundle's configuration (default: the address this request reached).", new OpenApiSchema
        {
            Type = "string", Format = "uri",
        }),
        _ => throw new InvalidOperationException($"Query parameter {name} of {operationId} has no description in {nameof(ApiParameters)}."),
    };

    /// <summary>A set of values; its title names the type a client generator makes of it (not Format2, Format3...).</summary>
    private static OpenApiSchema Values(string title, IEnumerable<string> values) =>
        new() { Title = title, Type = "string", Enum = values.Select(v => (IOpenApiAny)new OpenApiString(v)).ToList() };

    private static OpenApiParameter Parameter(string name, ParameterLocation location, string description, OpenApiSchema schema, bool required = false) =>
        new() { Name = name, In = location, Description = description, Required = required, Schema = schema };
}
