namespace Sarthe.Enrolment.Health;

/// <summary>The health route's answer: <c>healthy</c>, or <c>unhealthy</c> with what is wrong.</summary>
public sealed record HealthStatus(string Status, string? Detail = null);
