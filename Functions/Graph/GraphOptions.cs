using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Graph;

public enum GraphCredentialKind
{
    /// <summary>Managed identity of the Function App (Azure).</summary>
    ManagedIdentity,

    /// <summary>App registration with a client secret (held in Key Vault / app settings).</summary>
    ClientSecret,

    /// <summary>Unsigned local token accepted only by tools/GraphEmulator.</summary>
    Emulator,
}

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
}
