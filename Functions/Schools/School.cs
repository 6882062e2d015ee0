namespace Sarthe.Enrolment.Schools;

/// <summary>A collège of the registry.</summary>
public sealed record School(string Uai, string Name, string Commune, int Pupils, bool Active = true);

/// <summary>Devices of a school by status, as the contract's <c>devices</c> object.</summary>
public sealed record DeviceCounts(int Received, int Registering, int Registered, int Failed)
{
    public int Total => Received + Registering + Registered + Failed;
}

/// <summary>The contract's school representation.</summary>
public sealed record SchoolView(string Uai, string Name, string Commune, int Pupils, bool Active, DeviceCounts Devices)
{
    public static SchoolView From(School school, DeviceCounts counts) =>
        new(school.Uai, school.Name, school.Commune, school.Pupils, school.Active, counts);
}
