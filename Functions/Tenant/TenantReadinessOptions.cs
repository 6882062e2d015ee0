using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Tenant;

/// <summary>The tenant readiness check (section <c>Tenant</c>).</summary>
public sealed class TenantReadinessOptions
{
    public const string Section = "Tenant";

    /// <summary>
    /// How long a registered device may stay without a deployment profile before the check reports it. Default 1 hour:
    /// Microsoft says the assignment time "varies" (memdocs autopilot/profiles.md) and once gave "about 15 minutes".
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00", ErrorMessage = "Tenant:ProfileGracePeriod must lie between 00:00:00 and 30.00:00:00.")]
    public TimeSpan ProfileGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Log the check's findings once at start-up (a few Graph reads).</summary>
    public bool CheckAtStartup { get; set; } = true;
}
