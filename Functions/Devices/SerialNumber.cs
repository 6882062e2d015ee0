namespace Sarthe.Enrolment.Devices;

/// <summary>Serial numbers: 1-64 of A-Z a-z 0-9 - _ . after trimming; identity is case-insensitive (stored upper).</summary>
public static class SerialNumber
{
    public const int MaxLength = 64;

    public static string? Normalize(string? value)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxLength)
        {
            return null;
        }

        foreach (var c in trimmed)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return null;
            }
        }

        return trimmed.ToUpperInvariant();
    }
}
