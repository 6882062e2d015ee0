using Microsoft.AspNetCore.Http;

namespace Sarthe.Enrolment.Keys;

/// <summary>
/// <c>POST /api/schools/{uai}/enrolment-keys?format=&amp;endpoint=</c>: the key alone (JSON, the default) or in the
/// school's provisioning bundle (<c>format=zip</c>, or <c>Accept: application/zip</c>), whose configuration names the
/// endpoint devices call: the one given (https only), else the configured <c>Enrolment:PublicEndpoint</c>; never one
/// taken from the request's headers (X-Forwarded-Host is the caller's to write).
/// </summary>
public sealed record KeyIssueQuery(Uri? BundleEndpoint)
{
    /// <summary>The query, or the errors that name each bad parameter (checked before a key is issued).</summary>
    public static (KeyIssueQuery? Query, Dictionary<string, string[]> Errors) Parse(HttpRequest request, Uri? configuredEndpoint)
    {
        var errors = new Dictionary<string, string[]>();
        var format = request.Query["format"].ToString();
        var bundle = format.Length == 0
            ? request.Headers.Accept.ToString().Contains(ProvisioningBundle.ContentType, StringComparison.OrdinalIgnoreCase)
            : string.Equals(format, "zip", StringComparison.OrdinalIgnoreCase);
        if (format.Length > 0 && !bundle && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            errors["format"] = ["format must be json or zip."];
        }

        var given = request.Query["endpoint"].ToString();
        var endpoint = given.Length > 0 ? EnrolmentEndpoint.Parse(given) : configuredEndpoint;
        if (given.Length > 0 && endpoint is null)
        {
            errors["endpoint"] = [$"endpoint must be {EnrolmentEndpoint.Rule}."];
        }
        else if (bundle && endpoint is null)
        {
            errors["endpoint"] = ["No endpoint is configured (Enrolment:PublicEndpoint): give the https address devices call with endpoint=."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new KeyIssueQuery(bundle ? endpoint : null), errors);
    }
}
