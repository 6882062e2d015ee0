using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Sarthe.Enrolment.Keys;

/// <summary>
/// A school's provisioning bundle, handed out once with a freshly issued key: the first-boot script
/// (<c>client/Enrol-Device.ps1</c>), its configuration (the endpoint, the school, the key), and what Windows
/// Configuration Designer needs to build the <c>.ppkg</c> that runs it at first boot (the answer file and a build
/// command), in one zip whose folder is the school's UAI. The templates are <c>client/bundle/*</c>, embedded.
/// </summary>
public static class ProvisioningBundle
{
    public const string ContentType = "application/zip";

    /// <summary>The answer's header that shows the administrator which endpoint the bundle names.</summary>
    public const string EndpointHeader = "X-Enrolment-Endpoint";

    /// <summary>Where the answer file expects the bundle on the administrator's PC: Configuration Designer names command files by full path.</summary>
    public static string FolderFor(string schoolUai) => @"C:\SartheEnrolment\" + schoolUai;

    public static string FileNameFor(IssuedKey key) => $"sarthe-enrolment-{key.SchoolUai}-{key.KeyId}.zip";

    public static byte[] Build(IssuedKey key, Uri endpoint)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["@UAI@"] = key.SchoolUai,
            ["@KEY_ID@"] = key.KeyId,
            ["@ISSUED_AT@"] = key.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["@FOLDER@"] = FolderFor(key.SchoolUai),
            ["@PACKAGE_ID@"] = PackageId(key.SchoolUai),
            ["@VERSION@"] = PackageVersion(key.CreatedAt),
            ["@ENDPOINT@"] = EndpointOf(endpoint),
        };

        using var zipped = new MemoryStream();
        using (var archive = new ZipArchive(zipped, ZipArchiveMode.Create, leaveOpen: true))
        {
            // The script as the repository holds it: its byte order mark lets Windows PowerShell 5.1 read its accents.
            Add(archive, key, "Enrol-Device.ps1", Resource("Enrol-Device.ps1"));
            Add(archive, key, "enrolment.config.json", new UTF8Encoding(false).GetBytes(Configuration(key, endpoint).ToJsonString(new() { WriteIndented = true })));
            Add(archive, key, "customizations.xml", new UTF8Encoding(false).GetBytes(Fill("customizations.xml", values)));
            Add(archive, key, "build-package.cmd", Encoding.ASCII.GetBytes(Fill("build-package.cmd", values)));
            Add(archive, key, "README.txt", new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes(Fill("README.txt", values))).ToArray());
        }

        return zipped.ToArray();
    }

    /// <summary>enrolment.config.json: what the script reads beside it (the other settings keep the script's defaults).</summary>
    public static JsonObject Configuration(IssuedKey key, Uri endpoint) => new()
    {
        ["endpoint"] = EndpointOf(endpoint),
        ["schoolUai"] = key.SchoolUai,
        ["key"] = key.Key,
        ["keyId"] = key.KeyId,
        ["issuedAt"] = key.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["timeoutMinutes"] = 25,
        ["deviceType"] = "auto",
    };

    /// <summary>The endpoint as the bundle writes it (and the answer shows it).</summary>
    public static string EndpointOf(Uri endpoint) => endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>One package id per school: a bundle issued later updates the package already applied (a higher version).</summary>
    private static string PackageId(string schoolUai) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes("sarthe-enrolment-ppkg/" + schoolUai)).AsSpan(0, 16)).ToString("D");

    /// <summary>yyyy.MMdd.HHmm.0 of the key's issue: later bundles have higher versions, and every part stays within 65535.</summary>
    private static string PackageVersion(DateTimeOffset issuedAt)
    {
        var utc = issuedAt.UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{utc.Year}.{utc.Month * 100 + utc.Day}.{utc.Hour * 100 + utc.Minute}.0");
    }

    private static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        var text = Encoding.UTF8.GetString(Resource(template)).TrimStart('\uFEFF');
        foreach (var (placeholder, value) in values)
        {
            text = text.Replace(placeholder, value, StringComparison.Ordinal);
        }

        // Windows files: cmd.exe reads a batch file line by line and wants CRLF.
        return text.ReplaceLineEndings("\r\n");
    }

    private static void Add(ZipArchive archive, IssuedKey key, string name, byte[] content)
    {
        var entry = archive.CreateEntry(key.SchoolUai + "/" + name, CompressionLevel.Optimal);
        entry.LastWriteTime = key.CreatedAt;
        using var stream = entry.Open();
        stream.Write(content);
    }

    private static byte[] Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Sarthe.Enrolment.Client." + name)
            ?? throw new InvalidOperationException($"The build embeds client/{name}; it is missing.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
