namespace Sarthe.Enrolment.Tenant;

/// <summary>The answer of <c>GET /api/tenant/readiness</c> (contract v1.2). A null member (omitted in JSON) could not be checked; a finding says what to check by hand.</summary>
public sealed record TenantReadinessReport(DateTimeOffset CheckedAt, GraphReadiness Graph, IReadOnlyList<SchoolReadiness> Schools, IReadOnlyList<string> Findings)
{
    /// <summary>Graph answers with the permission and Intune is licensed, and every school has a profile through a group that covers it.</summary>
    public bool IsReady => Graph.Reachable && Graph.Permission == true && Graph.Licensed == true
                           && Schools.All(s => s.ProfileAssigned == true && s.GroupRuleCovers == true && s.DevicesWithoutProfile == 0);
}

/// <summary>Whether Graph answered, with the product's permission (DeviceManagementServiceConfig), for a tenant licensed for Intune.</summary>
public sealed record GraphReadiness(bool Reachable, bool? Permission, bool? Licensed);

/// <summary>One school: the profile that reaches its tag through a group, and its devices registered without a profile for too long.</summary>
public sealed record SchoolReadiness(string Uai, bool? ProfileAssigned, string? ProfileName, bool? GroupRuleCovers, int DevicesWithoutProfile, IReadOnlyList<string> Findings);
