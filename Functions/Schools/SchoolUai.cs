namespace Sarthe.Enrolment.Schools;

/// <summary>French school identifier (UAI/RNE): seven digits and a check letter.</summary>
public static class SchoolUai
{
    private const string CheckLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";

    /// <summary>What a valid UAI is, for validation messages (the field name goes in front).</summary>
    public const string Rule = "must be a UAI: 7 digits and the matching check letter.";

    /// <summary>Accepts lower case, returns the stored upper-case form, or null when invalid.</summary>
    public static string? Normalize(string? value)
    {
        if (value is null || value.Length != 8)
        {
            return null;
        }

        var number = 0;
        for (var i = 0; i < 7; i++)
        {
            var c = value[i];
            if (c is < '0' or > '9')
            {
                return null;
            }

            number = (number * 10) + (c - '0');
        }

        // ASCII only: culture-free upper-casing maps other letters onto check letters too (the long s 'ſ' becomes 'S').
        if (!char.IsAsciiLetter(value[7]))
        {
            return null;
        }

        var letter = char.ToUpperInvariant(value[7]);
        return letter == CheckLetters[number % 23] ? string.Concat(value.AsSpan(0, 7), [letter]) : null;
    }

    public static bool IsValid(string? value) => Normalize(value) is not null;
}
