namespace Sarthe.Enrolment.Schools;

/// <summary>A collège of the registry.</summary>
public sealed record School(string Uai, string Name, string Commune, int Pupils, bool Active = true);
