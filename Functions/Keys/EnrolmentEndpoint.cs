namespace Sarthe.Enrolment.Keys;

/// <summary>
/// The address devices call, as a provisioning bundle names it: an absolute https URL whose host is plain ASCII (no
/// look-alike letters from other scripts, no user name before an @), without query or fragment.
/// </summary>
public static class EnrolmentEndpoint
{
    public const string Rule = "an absolute https:// address with a plain ASCII host name, without user name, query or fragment";

    /// <summary>The address, or null when it breaks the rule; plain http only for a loopback host when <paramref name="allowLoopbackHttp"/> (the dev host).</summary>
    public static Uri? Parse(string? text, bool allowLoopbackHttp = false)
    {
        if (!Uri.TryCreate(text?.Trim(), UriKind.Absolute, out var uri))
        {
            return null;
        }

        var schemeAllowed = uri.Scheme == Uri.UriSchemeHttps || (allowLoopbackHttp && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback);
        // Punycode labels (xn--) are how look-alike letters travel in ASCII: refused with them.
        var plainHost = uri.Host.Length > 0 && uri.Host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.')
                        && !uri.Host.Split('.').Any(label => label.StartsWith("xn--", StringComparison.OrdinalIgnoreCase))
                        && !text!.Contains('%', StringComparison.Ordinal);
        return schemeAllowed && plainHost && uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0 ? uri : null;
    }
}
