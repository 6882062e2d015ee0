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

    /// <summary>
    /// The API's application ID URI (api://…): the audience of v1 access tokens (the default of a new app registration).
    /// </summary>
    [Required]
    public string Audience { get; set; } = "";

    /// <summary>
    /// The API app registration's client id (a GUID): the audience of v2 access tokens (requestedAccessTokenVersion 2).
    /// Both audiences are accepted; blank means unset.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// Expected issuer, when tokens name another than the metadata's; blank means unset. With Entra ID, leave it unset:
    /// the tenant's v2 issuer (https://login.microsoftonline.com/{tenant}/v2.0, from the metadata) and its v1 issuer
    /// (https://sts.windows.net/{tenant}/) are both accepted, for that tenant only.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Only the local dev issuer may be served over plain HTTP.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}
