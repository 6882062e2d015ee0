namespace Sarthe.Enrolment.Keys;

/// <summary>Which key ids a school has; the keys themselves are never stored.</summary>
public sealed record SchoolKeySet(string SchoolUai, string CurrentKeyId, DateTimeOffset CreatedAt, string? PreviousKeyId, DateTimeOffset? PreviousValidUntil);
