namespace Sarthe.Enrolment.Devices;

/// <summary>
/// Serial numbers: 1-64 of A-Z a-z 0-9 - _ . after trimming, at least one letter or digit (so "." and "..",
/// which a URL path would collapse, cannot be one); identity is case-insensitive (stored upper case).
/// </summary>
public static class SerialNumber
{
    public const int MaxLength = 64;
    public const string Rule = "serialNumber must be 1-64 characters of A-Z, a-z, 0-9, '-', '_' or '.', with at least one letter or digit.";

    public static string? Normalize(string? value)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxLength)
        {
            return null;
        }

        var hasLetterOrDigit = false;
        foreach (var c in trimmed)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                hasLetterOrDigit = true;
            }
            else if (c is not ('-' or '_' or '.'))
            {
                return null;
            }
        }

        return hasLetterOrDigit ? trimmed.ToUpperInvariant() : null;
    }
}
