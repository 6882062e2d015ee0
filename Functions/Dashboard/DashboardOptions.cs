using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Dashboard;

/// <summary>
/// Administrators' dashboard settings (section <c>Dashboard</c>). Everything here is public by nature: it is
/// served to the browser before sign-in.
/// </summary>
public sealed class DashboardOptions : IValidatableObject
{
    public const string Section = "Dashboard";

    /// <summary>Devices the programme plans to register in all (the progress bar's 100 %).</summary>
    [Range(1, 10_000_000)]
    public int DeviceTarget { get; set; } = 8000;

    /// <summary>How often the page reloads its figures.</summary>
    [Range(1, 3600)]
    public int RefreshSeconds { get; set; } = 15;

    /// <summary>Entra ID application (client) id of the dashboard's single-page app registration.</summary>
    public string? ClientId { get; set; }

    /// <summary>Entra ID authority, e.g. https://login.microsoftonline.com/{tenant-id}.</summary>
    public string? Authority { get; set; }

    /// <summary>Scope asked for the API token, e.g. api://{enrolment-api-client-id}/.default.</summary>
    public string? Scope { get; set; }

    /// <summary>Dev host only: the token endpoint behind the one-click development sign-in.</summary>
    public string? DevTokenUrl { get; set; }

    public bool UsesEntra => !string.IsNullOrWhiteSpace(ClientId);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!UsesEntra)
        {
            yield break;
        }

        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme != Uri.UriSchemeHttps)
        {
            yield return new ValidationResult("Dashboard:Authority must be an https URL when Dashboard:ClientId is set.", [nameof(Authority)]);
        }

        if (string.IsNullOrWhiteSpace(Scope))
        {
            yield return new ValidationResult("Dashboard:Scope is required when Dashboard:ClientId is set.", [nameof(Scope)]);
        }
    }
}
