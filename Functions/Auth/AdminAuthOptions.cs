using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Auth;

/// <summary>How administrators' bearer tokens are validated (section <c>AdminAuth</c>).</summary>
public sealed class AdminAuthOptions
{
    public const string Section = "AdminAuth";

    /// <summary>OpenID Connect metadata document of the issuer, e.g. https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration.</summary>
    [Required]
    [Url]
    public string MetadataAddress { get; set; } = "";

    /// <summary>The audience tokens must be issued for (the API's application ID URI or client id).</summary>
    [Required]
    public string Audience { get; set; } = "";

    /// <summary>Expected issuer; defaults to the issuer named in the metadata.</summary>
    public string? Issuer { get; set; }

    /// <summary>Only the local dev issuer may be served over plain HTTP.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}
