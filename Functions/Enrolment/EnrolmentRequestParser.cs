using System.Globalization;
using System.Text.Json;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// Reads an enrolment body field by field so that every message names the offending field. The school
/// is read first on its own: the signature can only be checked against the school the body names.
/// </summary>
public sealed class EnrolmentRequestParser
{
    public const int MaxHardwareHashBytes = 8192;
    private const int MaxTextLength = 64;
    // A member twice is refused: the backend would read the last, but a proxy, a log or the device script may read the first.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    private readonly JsonElement _root;
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    private EnrolmentRequestParser(JsonElement root) => _root = root;

    public IReadOnlyDictionary<string, string[]> Errors => _errors;

    public const string BodyRule = "The body must be a JSON object (UTF-8), each member at most once.";

    /// <summary>Null when the body is not a JSON object (malformed, invalid UTF-8, too deep, a member twice, not an object).</summary>
    public static EnrolmentRequestParser? TryCreate(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, DocumentOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? new EnrolmentRequestParser(document.RootElement.Clone())
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The school named by the body, upper case, or null with an error recorded.</summary>
    public string? ReadSchoolUai()
    {
        var text = ReadString("schoolUai", required: true);
        if (text is null)
        {
            return null;
        }

        var uai = SchoolUai.Normalize(text.Trim());
        if (uai is null)
        {
            AddError("schoolUai", "schoolUai " + SchoolUai.Rule);
        }

        return uai;
    }

    public EnrolmentRequest? ReadRequest(string schoolUai)
    {
        var serialText = ReadString("serialNumber", required: true);
        var serial = serialText is null ? null : SerialNumber.Normalize(serialText);
        if (serialText is not null && serial is null)
        {
            AddError("serialNumber", SerialNumber.Rule);
        }

        var deviceType = ReadString("deviceType", required: true);
        if (deviceType is not null && !DeviceTypes.All.Contains(deviceType, StringComparer.Ordinal))
        {
            AddError("deviceType", DeviceTypes.Rule);
            deviceType = null;
        }

        var manufacturer = ReadText("manufacturer", required: true);
        var model = ReadText("model", required: true);
        var assetTag = ReadText("assetTag", required: false);
        var hash = ReadHardwareHash();

        return _errors.Count == 0
            ? new EnrolmentRequest(serial!, schoolUai, deviceType!, manufacturer!, model!, hash!, assetTag)
            : null;
    }

    private string? ReadHardwareHash()
    {
        var text = ReadString("hardwareHash", required: true);
        if (text is null)
        {
            return null;
        }

        var buffer = new byte[((text.Length * 3) / 4) + 3];
        if (!Convert.TryFromBase64String(text, buffer, out var length) || length == 0)
        {
            AddError("hardwareHash", "hardwareHash must be non-empty base64.");
            return null;
        }

        if (length > MaxHardwareHashBytes)
        {
            AddError("hardwareHash", $"hardwareHash must decode to at most {MaxHardwareHashBytes} bytes.");
            return null;
        }

        // Stored in canonical base64, whatever whitespace the device sent.
        return Convert.ToBase64String(buffer, 0, length);
    }

    /// <summary>
    /// Trimmed, 1-64 characters, no control or format characters (Unicode Cc, Cf: a right-to-left override or a
    /// zero-width space can disguise a value on the dashboard and in the audit trail).
    /// </summary>
    private string? ReadText(string field, bool required)
    {
        var text = ReadString(field, required)?.Trim();
        if (text is null)
        {
            return null;
        }

        if (text.Length == 0 && !required)
        {
            return null;
        }

        if (text.Length is 0 or > MaxTextLength)
        {
            AddError(field, $"{field} must be 1-{MaxTextLength} characters.");
            return null;
        }

        if (text.Any(c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format) || (text.Any(char.IsSurrogate) && !IsWellFormed(text)))
        {
            AddError(field, $"{field} must not contain control, format or unpaired surrogate characters.");
            return null;
        }

        return text;
    }

    private string? ReadString(string field, bool required)
    {
        if (!_root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                AddError(field, $"{field} is required.");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            AddError(field, $"{field} must be a string.");
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            // The parser checks structure; invalid UTF-8 inside a string surfaces only when it is read.
            AddError(field, $"{field} must be valid UTF-8 text.");
            return null;
        }
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private void AddError(string field, string message) => _errors.TryAdd(field, [message]);
}
