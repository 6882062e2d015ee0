namespace Sarthe.Enrolment.Inventory;

/// <summary>The fields of an inventory row, by their API names (what errors are keyed by).</summary>
public static class ManifestFields
{
    public const string SerialNumber = "serialNumber";
    public const string SchoolUai = "schoolUai";
    public const string DeviceType = "deviceType";
    public const string Manufacturer = "manufacturer";
    public const string Model = "model";
    public const string PurchaseOrder = "purchaseOrder";
    public const string InvoiceNumber = "invoiceNumber";
    public const string UnitCostEur = "unitCostEur";
    public const string HardwareHash = "hardwareHash";
    public const string ProductKey = "productKey";
    public const string AssetTag = "assetTag";

    /// <summary>The Autopilot CSV's "Assigned User": a person's sign-in name, which the product never stores.</summary>
    public const string AssignedUser = "assignedUser";
}

/// <summary>
/// The two files the import takes, told apart by their header: the programme's manifest (purchase order, invoice and
/// unit cost per serial) and the Windows Autopilot CSV that OEMs deliver and Intune imports (serial and hash only).
/// Column names are matched ignoring case and surrounding spaces; every column must be known, so a misspelt optional
/// column is an error rather than data silently dropped.
/// </summary>
public sealed record ManifestFormat(string Name, IReadOnlyDictionary<string, int> Columns)
{
    public const string Programme = "programme";
    public const string Autopilot = "autopilot";

    private static readonly (string Column, string Field)[] ProgrammeRequired =
    [
        ("serialNumber", ManifestFields.SerialNumber), ("schoolUai", ManifestFields.SchoolUai), ("deviceType", ManifestFields.DeviceType),
        ("manufacturer", ManifestFields.Manufacturer), ("model", ManifestFields.Model), ("purchaseOrder", ManifestFields.PurchaseOrder),
        ("invoiceNumber", ManifestFields.InvoiceNumber), ("unitCostEur", ManifestFields.UnitCostEur),
    ];

    private static readonly (string Column, string Field)[] ProgrammeOptional =
        [("hardwareHash", ManifestFields.HardwareHash), ("productKey", ManifestFields.ProductKey), ("assetTag", ManifestFields.AssetTag)];

    private static readonly (string Column, string Field)[] AutopilotRequired =
        [("Device Serial Number", ManifestFields.SerialNumber), ("Windows Product ID", ManifestFields.ProductKey), ("Hardware Hash", ManifestFields.HardwareHash)];

    private static readonly (string Column, string Field)[] AutopilotOptional =
        [("Group Tag", ManifestFields.SchoolUai), ("Assigned User", ManifestFields.AssignedUser)];

    public const string HeaderRule =
        "The first line must be the header of a programme manifest (serialNumber,schoolUai,deviceType,manufacturer,model,purchaseOrder,invoiceNumber,unitCostEur" +
        " and optionally hardwareHash,productKey,assetTag) or of a Windows Autopilot CSV (Device Serial Number,Windows Product ID,Hardware Hash" +
        " and optionally Group Tag,Assigned User), comma- or semicolon-separated.";

    /// <summary>A field's column as this format's header names it ("Device Serial Number" in an Autopilot CSV, "serialNumber" in a manifest).</summary>
    public string ColumnOf(string field) =>
        (Name == Autopilot ? AutopilotRequired.Concat(AutopilotOptional) : ProgrammeRequired.Concat(ProgrammeOptional))
            .FirstOrDefault(c => c.Field == field).Column ?? field;

    /// <summary>The index of a field's column, or -1 when the file has no such column.</summary>
    public int IndexOf(string field) => Columns.TryGetValue(field, out var index) ? index : -1;

    /// <summary>The format a header line names, or the errors that say what is wrong with it (keyed by field, or <c>body</c>).</summary>
    public static (ManifestFormat? Format, Dictionary<string, string[]> Errors) Match(IReadOnlyList<string> header)
    {
        var names = header.Select(h => h.Trim()).ToList();
        var isAutopilot = names.Any(n => n.Equals(AutopilotRequired[0].Column, StringComparison.OrdinalIgnoreCase));
        var isProgramme = names.Any(n => n.Equals(ProgrammeRequired[0].Column, StringComparison.OrdinalIgnoreCase));
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (isAutopilot == isProgramme)
        {
            errors["body"] = [HeaderRule];
            return (null, errors);
        }

        var (name, required, optional) = isAutopilot
            ? (Autopilot, AutopilotRequired, AutopilotOptional)
            : (Programme, ProgrammeRequired, ProgrammeOptional);
        var known = required.Concat(optional).ToList();
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        var problems = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i].Length == 0)
            {
                continue; // a trailing separator, as spreadsheets write after the last column: nothing to read there
            }

            var column = known.FirstOrDefault(k => k.Column.Equals(names[i], StringComparison.OrdinalIgnoreCase));
            if (column.Field is null)
            {
                problems.Add($"Unknown column '{Shorten(names[i])}'.");
            }
            else if (!columns.TryAdd(column.Field, i))
            {
                problems.Add($"Column '{column.Column}' appears twice.");
            }
        }

        foreach (var (column, field) in required.Where(r => !columns.ContainsKey(r.Field)))
        {
            errors[field] = [$"The header has no '{column}' column."];
        }

        if (problems.Count > 0)
        {
            errors["body"] = [string.Join(" ", problems) + " " + HeaderRule];
        }

        return errors.Count > 0 ? (null, errors) : (new ManifestFormat(name, columns), errors);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
