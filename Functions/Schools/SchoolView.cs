using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Schools;

/// <summary>The contract's school representation: the registry's facts and live device counts.</summary>
public sealed record SchoolView(string Uai, string Name, string Commune, int Pupils, bool Active, DeviceCounts Devices)
{
    public static SchoolView From(School school, DeviceCounts counts) =>
        new(school.Uai, school.Name, school.Commune, school.Pupils, school.Active, counts);
}
