namespace Sarthe.Enrolment.Keys;

/// <summary>A freshly issued key, shown once.</summary>
public sealed record IssuedKey(string SchoolUai, string KeyId, string Key, DateTimeOffset CreatedAt, DateTimeOffset? PreviousKeyValidUntil);
