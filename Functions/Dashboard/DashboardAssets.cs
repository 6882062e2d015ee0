using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Dashboard;

/// <summary>
/// The dashboard's files, embedded in the Functions assembly (no CDN: the page works offline), and the
/// security headers every one of them is served with.
/// </summary>
public sealed class DashboardAssets
{
    private const string ResourcePrefix = "Sarthe.Enrolment.Dashboard.";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private readonly FrozenDictionary<string, byte[]> _files;
    private readonly byte[] _config;
    private readonly string _contentSecurityPolicy;

    public DashboardAssets(IOptions<DashboardOptions> options)
    {
        var assembly = typeof(DashboardAssets).Assembly;
        _files = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .ToFrozenDictionary(name => name[ResourcePrefix.Length..], name => Read(assembly, name), StringComparer.Ordinal);
        _config = JsonSerializer.SerializeToUtf8Bytes(DashboardConfig.From(options.Value), ApiJson.Options);
        _contentSecurityPolicy = ContentSecurityPolicy(options.Value);
    }

    public IReadOnlyCollection<string> Names => _files.Keys;

    /// <summary>The page or one of its files by name, or null when there is no such file.</summary>
    public ApiResult? Find(string name)
    {
        if (name == "config.json")
        {
            return Asset(_config, "application/json; charset=utf-8");
        }

        return _files.TryGetValue(name, out var body) && ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType)
            ? Asset(body, contentType)
            : null;
    }

    /// <summary>Small files: always revalidated, so a deployment is seen at the next load; never framed, sniffed or referred.</summary>
    private ApiResult Asset(byte[] body, string contentType) =>
        ApiResult.Bytes(body, contentType)
            .WithHeader("Cache-Control", "no-cache")
            .WithHeader("Content-Security-Policy", _contentSecurityPolicy)
            .WithHeader("Referrer-Policy", "no-referrer");

    /// <summary>
    /// Scripts and styles from this origin only (no inline script, so injected markup cannot run); the API
    /// and, with Entra sign-in, the authority are the only places the page talks to; no framing of the page.
    /// </summary>
    internal static string ContentSecurityPolicy(DashboardOptions options)
    {
        var authority = options.UsesEntra && Uri.TryCreate(options.Authority, UriKind.Absolute, out var uri)
            ? " " + uri.GetLeftPart(UriPartial.Authority)
            : "";
        var frames = authority.Length > 0 ? authority.Trim() : "'none'";
        return $"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'{authority}; " +
               $"frame-src {frames}; base-uri 'self'; form-action 'none'; frame-ancestors 'none'";
    }

    private static byte[] Read(System.Reflection.Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
