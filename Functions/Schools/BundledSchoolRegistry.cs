using System.Globalization;

namespace Sarthe.Enrolment.Schools;

/// <summary>
/// The registry the product ships with: the 56 public collèges of Sarthe at the 2024 rentrée
/// (Ministère de l'Éducation nationale open data, Licence Ouverte 2.0; see Schools/SOURCE.md).
/// </summary>
public static class BundledSchoolRegistry
{
    private const string ResourceName = "Sarthe.Enrolment.Schools.sarthe-colleges-2024.csv";
    private const string ExpectedHeader = "uai,name,commune,pupils";

    public static IReadOnlyList<School> Load()
    {
        using var stream = typeof(BundledSchoolRegistry).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded school registry {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }

    public static IReadOnlyList<School> Parse(TextReader reader)
    {
        var header = reader.ReadLine();
        if (!string.Equals(header?.Trim(), ExpectedHeader, StringComparison.Ordinal))
        {
            throw new FormatException($"School registry header must be '{ExpectedHeader}'.");
        }

        var schools = new List<School>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            if (fields.Length != 4)
            {
                throw new FormatException($"School registry line {lineNumber}: expected 4 fields, found {fields.Length}.");
            }

            var uai = SchoolUai.Normalize(fields[0])
                ?? throw new FormatException($"School registry line {lineNumber}: '{fields[0]}' is not a valid UAI.");
            if (!int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var pupils))
            {
                throw new FormatException($"School registry line {lineNumber}: pupils '{fields[3]}' is not a whole number.");
            }

            schools.Add(new School(uai, fields[1], fields[2], pupils));
        }

        return schools;
    }
}
