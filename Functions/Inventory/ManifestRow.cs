using System.Globalization;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Inventory;

/// <summary>What was bought and invoiced for one device: the ERDF report claims <see cref="UnitCostCents"/>.</summary>
public sealed record Purchase(string PurchaseOrder, string InvoiceNumber, long UnitCostCents)
{
    public decimal UnitCostEur => Eur(UnitCostCents);

    /// <summary>Cents as euros, always with two decimals (612.50, not 612.5).</summary>
    public static decimal Eur(long cents) => (cents / 100m) + 0.00m;
}

/// <summary>
/// A valid line of a manifest. Fields the line leaves empty, or that its format has no column for, are null: an
/// import never erases what an earlier manifest stored (the Autopilot CSV adds hashes to the programme's rows).
/// </summary>
public sealed record ManifestRow(
    int Line,
    string SerialNumber,
    string SchoolUai,
    string? DeviceType,
    string? Manufacturer,
    string? Model,
    Purchase? Purchase,
    string? HardwareHash,
    string? ProductKey,
    string? AssetTag);

/// <summary>Field rules of a manifest line; every message names its field, with the API's field names.</summary>
public static class ManifestRowParser
{
    public const int MaxTextLength = 64;
    public const int MaxHardwareHashBytes = 8192;
    public const long MaxUnitCostCents = 100_000_000; // one million euros: no school device costs more

    public const string UnitCostRule = "unitCostEur must be an amount in euros of at most two decimals, with a decimal point or comma (612.50 or 612,50).";

    /// <summary>The row, or the errors of this line. <paramref name="defaultSchoolUai"/> serves lines without a Group Tag.</summary>
    public static (ManifestRow? Row, Dictionary<string, string[]> Errors) Parse(
        CsvRecord record, ManifestFormat format, string? defaultSchoolUai, IReadOnlySet<string> schools)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (record.Error is { } broken)
        {
            errors["line"] = [broken];
            return (null, errors);
        }

        var extra = record.Fields.Skip(format.Columns.Values.Max() + 1).Count(f => f.Trim().Length > 0);
        if (extra > 0)
        {
            errors["line"] = [$"The line has {extra} more field(s) than the header (in a comma-separated file a decimal comma must be quoted: \"612,50\")."];
            return (null, errors);
        }

        string? Cell(string field) => format.IndexOf(field) is var i and >= 0 && i < record.Fields.Count && record.Fields[i].Trim() is { Length: > 0 } value ? value : null;

        // Each message names the column as the file's header does and shows the value it refuses (shortened).
        string Named(string field, string? value, string rule) => value is null ? $"{format.ColumnOf(field)}: {rule}" : $"{format.ColumnOf(field)} {Shown(value)}: {rule}";

        var serialText = Cell(ManifestFields.SerialNumber);
        var serial = SerialNumber.Normalize(serialText);
        if (serial is null)
        {
            errors[ManifestFields.SerialNumber] = [serialText is null ? Named(ManifestFields.SerialNumber, null, "a serial number is required.")
                : LooksRewrittenBySpreadsheet(serialText) ? Named(ManifestFields.SerialNumber, serialText, "a spreadsheet rewrote this serial number as a number (scientific notation or digit grouping). Format the column as text and export the file again.")
                : Named(ManifestFields.SerialNumber, serialText, SerialNumber.Rule)];
        }

        // schoolUai= in the query serves every line without a UAI of its own: no Group Tag, or a reseller's own tag.
        var tag = Cell(ManifestFields.SchoolUai);
        var uaiText = defaultSchoolUai is not null && SchoolUai.Normalize(tag) is null ? defaultSchoolUai : tag ?? defaultSchoolUai;
        var uai = SchoolUai.Normalize(uaiText);
        if (uaiText is null)
        {
            errors[ManifestFields.SchoolUai] = [format.Name == ManifestFormat.Autopilot ? "schoolUai is required: a Group Tag on the line, or schoolUai= in the query." : "schoolUai is required."];
        }
        else if (uai is null)
        {
            errors[ManifestFields.SchoolUai] = [format.Name == ManifestFormat.Autopilot
                ? Named(ManifestFields.SchoolUai, uaiText, "this Group Tag is not a school's UAI (a reseller's own tag?): give the school of the file's devices with schoolUai= in the query.")
                : Named(ManifestFields.SchoolUai, uaiText, "schoolUai " + SchoolUai.Rule)];
        }
        else if (!schools.Contains(uai))
        {
            errors[ManifestFields.SchoolUai] = [Named(ManifestFields.SchoolUai, uaiText, $"schoolUai {uai} names no school of the registry.")];
        }

        var deviceType = Cell(ManifestFields.DeviceType);
        if (deviceType is not null && !DeviceTypes.All.Contains(deviceType, StringComparer.Ordinal))
        {
            errors[ManifestFields.DeviceType] = [Named(ManifestFields.DeviceType, deviceType, DeviceTypes.Rule)];
        }

        var programme = format.Name == ManifestFormat.Programme;
        var manufacturer = Text(ManifestFields.Manufacturer, required: programme);
        var model = Text(ManifestFields.Model, required: programme);
        var purchaseOrder = Text(ManifestFields.PurchaseOrder, required: programme);
        var invoiceNumber = Text(ManifestFields.InvoiceNumber, required: programme);
        var productKey = Text(ManifestFields.ProductKey, required: false);
        var assetTag = Text(ManifestFields.AssetTag, required: false);
        if (programme && deviceType is null)
        {
            errors[ManifestFields.DeviceType] = ["deviceType is required. " + DeviceTypes.Rule];
        }

        long? cents = null;
        if (programme)
        {
            cents = ReadCost(Cell(ManifestFields.UnitCostEur), errors);
        }

        var hash = ReadHash(Cell(ManifestFields.HardwareHash), required: !programme, errors, format);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var purchase = programme ? new Purchase(purchaseOrder!, invoiceNumber!, cents!.Value) : null;
        return (new ManifestRow(record.Line, serial!, uai!, deviceType, manufacturer, model, purchase, hash, productKey, assetTag), errors);

        string? Text(string field, bool required)
        {
            var text = Cell(field);
            string? problem = text switch
            {
                null when required => $"{field} is required.",
                null => null,
                { Length: > MaxTextLength } => Named(field, text, $"{field} must be 1-{MaxTextLength} characters."),
                _ when text.Contains('\uFFFD') => Named(field, text, $"{field} must be UTF-8 text (save the file as CSV UTF-8, or UTF-16)."),
                _ when text.Any(c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate) =>
                    Named(field, text, $"{field} must not contain control, format or surrogate characters."),
                _ => null,
            };
            if (problem is not null)
            {
                errors[field] = [problem];
                return null;
            }

            return text;
        }
    }

    /// <summary>Euros to cents: "612.50", "612,50", "1 234,5" (spaces group thousands, as French spreadsheets write them).</summary>
    public static long? ParseCents(string text)
    {
        var compact = new string(text.Where(c => c is not (' ' or '\u00A0' or '\u202F')).ToArray());
        var separator = compact.IndexOfAny(['.', ',']);
        var whole = separator < 0 ? compact : compact[..separator];
        var fraction = separator < 0 ? "" : compact[(separator + 1)..];
        if (whole.Length is 0 or > 9 || fraction.Length > 2 || (separator >= 0 && fraction.Length == 0)
            || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit))
        {
            return null;
        }

        return (long.Parse(whole, CultureInfo.InvariantCulture) * 100) + (fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(2, '0'), CultureInfo.InvariantCulture));
    }

    private static long? ReadCost(string? text, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            errors[ManifestFields.UnitCostEur] = ["unitCostEur is required."];
            return null;
        }

        if (text.TrimStart().StartsWith('-'))
        {
            errors[ManifestFields.UnitCostEur] = [$"unitCostEur {Shown(text)}: unitCostEur cannot be negative."];
            return null;
        }

        if (ParseCents(text) is not { } cents || cents > MaxUnitCostCents)
        {
            errors[ManifestFields.UnitCostEur] = [$"unitCostEur {Shown(text)}: {UnitCostRule}"];
            return null;
        }

        return cents;
    }

    /// <summary>A value shown in a message: quoted, and shortened past 40 characters (a hash is kilobytes).</summary>
    private static string Shown(string value) => "\"" + (value.Length <= 40 ? value : value[..40] + "…") + "\"";

    /// <summary>What a spreadsheet makes of a long numeric serial: 1,23457E+12, 1.23457E+12, or digits grouped with spaces.</summary>
    private static bool LooksRewrittenBySpreadsheet(string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(text, @"^\d([.,]\d+)?[eE][+-]?\d+$|^\d{1,3}([  \u00A0\u202F]\d{3})+$");

    /// <summary>Base64 of 1-8192 bytes, stored in canonical form (as enrolment stores it).</summary>
    private static string? ReadHash(string? text, bool required, Dictionary<string, string[]> errors, ManifestFormat format)
    {
        if (text is null)
        {
            if (required)
            {
                errors[ManifestFields.HardwareHash] = ["hardwareHash is required."];
            }

            return null;
        }

        var buffer = new byte[((text.Length * 3) / 4) + 3];
        if (!Convert.TryFromBase64String(text, buffer, out var length) || length == 0)
        {
            errors[ManifestFields.HardwareHash] = [$"{format.ColumnOf(ManifestFields.HardwareHash)} {Shown(text)}: hardwareHash must be base64 (the Hardware Hash column of Get-WindowsAutopilotInfo)."];
            return null;
        }

        if (length > MaxHardwareHashBytes)
        {
            errors[ManifestFields.HardwareHash] = [$"{format.ColumnOf(ManifestFields.HardwareHash)} {Shown(text)}: hardwareHash must decode to at most {MaxHardwareHashBytes} bytes."];
            return null;
        }

        return Convert.ToBase64String(buffer, 0, length);
    }
}
