namespace Sarthe.Enrolment.Graph;

/// <summary>What Graph let the product read of the tenant's objects.</summary>
public enum TenantAccess
{
    /// <summary>Read.</summary>
    Granted,

    /// <summary>Not read: the setting that allows it is off (<see cref="GraphOptions.ReadDeploymentProfiles"/>).</summary>
    NotRead,

    /// <summary>403 naming a missing permission (Intune's "Application must have one of the following scopes", or Entra's Authorization_RequestDenied).</summary>
    PermissionMissing,

    /// <summary>403 from Intune naming no permission: what a tenant without an active Intune licence answers.</summary>
    NotLicensed,

    /// <summary>No answer, 401, throttled or failing after the SDK's retries.</summary>
    Unreachable,
}

/// <summary>A read of the tenant: what Graph allowed, the value when it did, and Graph's own words when it did not.</summary>
public sealed record TenantRead<T>(TenantAccess Access, T? Value, string? Detail = null)
{
    public static TenantRead<T> Read(T value) => new(TenantAccess.Granted, value);
}

/// <summary>An Autopilot deployment profile and the groups it is assigned to (exclusions left out).</summary>
public sealed record DeploymentProfileFacts(string Id, string DisplayName, IReadOnlyList<string> GroupIds);

/// <summary>A Microsoft Entra group as the readiness check needs it: its dynamic rule and whether that rule is processed.</summary>
public sealed record GroupFacts(string Id, string DisplayName, bool IsDynamic, string? MembershipRule, string? ProcessingState)
{
    public bool IsPaused => string.Equals(ProcessingState, "Paused", StringComparison.OrdinalIgnoreCase);
}
