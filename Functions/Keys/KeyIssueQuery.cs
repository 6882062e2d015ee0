using Microsoft.AspNetCore.Http;

namespace Sarthe.Enrolment.Keys;

/// <summary>
/// <c>POST /api/schools/{uai}/enrolment-keys?format=&amp;endpoint=</c>: the key alone (JSON, the default) or in the
/// school's provisioning bundle (<c>format=zip</c>, or <c>Accept: application/zip</c>), whose configuration names the
/// endpoint devices call: the one given, else the one the administrator's request reached.
/// </summary>
public sealed record KeyIssueQuery(Uri? BundleEndpoint)
{
    /// <summary>The query, or the errors that name each bad parameter (checked before a key is issued).</summary>
    public static (KeyIssueQuery? Query, Dictionary<string, string[]> Errors) Parse(HttpRequest request)
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
        Uri? endpoint = null;
        if (given.Length > 0 && (!Uri.TryCreate(given, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("https" or "http") || endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0))
        {
            errors["endpoint"] = ["endpoint must be the absolute http(s) address devices call, without query or fragment."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new KeyIssueQuery(bundle ? endpoint ?? Reached(request) : null), errors);
    }

    /// <summary>
    /// The address the request reached, as its client saw it: the front end's X-Forwarded-Proto/-Host when it sets
    /// them (App Service terminates TLS in front of the app), else the request's own.
    /// </summary>
    private static Uri Reached(HttpRequest request)
    {
        var scheme = First(request.Headers["X-Forwarded-Proto"]) ?? request.Scheme;
        var host = First(request.Headers["X-Forwarded-Host"]) ?? request.Host.Value;
        return new Uri($"{scheme}://{host}");
    }

    private static string? First(string? header) =>
        header?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
}
