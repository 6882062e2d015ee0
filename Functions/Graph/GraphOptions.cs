using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Graph;

/// <summary>Microsoft Graph access (section <c>Graph</c>).</summary>
public sealed class GraphOptions
{
    public const string Section = "Graph";

    /// <summary>v1.0 endpoint; the Graph emulator's URL locally and in tests.</summary>
    [Required]
    [Url]
    public string BaseUrl { get; set; } = "https://graph.microsoft.com/v1.0";

    public GraphCredentialKind Credential { get; set; } = GraphCredentialKind.ManagedIdentity;

    public string? TenantId { get; set; }

    /// <summary>Client id of the app registration, or of a user-assigned managed identity.</summary>
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Retries of the SDK's own retry handler for 429/503/504 (it honours Retry-After).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>Base delay of the SDK's retry handler when an answer carries no Retry-After.</summary>
    [Range(0, 180)]
    public int RetryDelaySeconds { get; set; } = 3;

    /// <summary>Intune's per-app budget: writes per <see cref="BudgetWindow"/> (learn.microsoft.com/graph/throttling-limits: 100 per 20 s).</summary>
    [Range(1, 100_000)]
    public int WritesPerWindow { get; set; } = 100;

    /// <summary>Intune's per-app budget: requests of any kind per <see cref="BudgetWindow"/> (1,000 per 20 s).</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerWindow { get; set; } = 1000;

    public TimeSpan BudgetWindow { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The part of the per-app budget the product plans to use; the rest absorbs retries and clock skew.</summary>
    [Range(0.1, 1.0)]
    public double BudgetShare { get; set; } = 0.9;

    /// <summary>
    /// Read the deployment profile's assignment (Graph beta: v1.0 has no such property). Off: devices are followed
    /// until visible in Autopilot only, and their profile stays unknown.
    /// </summary>
    public bool ReadProfileStatus { get; set; } = true;

    /// <summary>
    /// Read the Autopilot deployment profiles and their assignments for the tenant readiness check (Graph beta: v1.0 has no
    /// profile collection). Off: the check says to look at the profiles by hand.
    /// </summary>
    public bool ReadDeploymentProfiles { get; set; } = true;

    /// <summary>
    /// A beta URL for <paramref name="path"/>: the configured v1.0 base URL with beta in its place (same host, same client,
    /// same credentials).
    /// </summary>
    public string BetaUrl(string path)
    {
        var baseUrl = BaseUrl.TrimEnd('/');
        var root = baseUrl.EndsWith("/v1.0", StringComparison.OrdinalIgnoreCase) ? baseUrl[..^"/v1.0".Length] : baseUrl;
        return $"{root}/beta/{path}";
    }
}
