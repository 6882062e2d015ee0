using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Inventory;

/// <summary>
/// The body of <c>POST /api/inventory/manifests</c>: <c>text/csv</c>, at most <see cref="MaxBytes"/>, read as a stream.
/// A body that declares its length is refused at once when too long and otherwise imported while it arrives. A body
/// without a length (chunked) is first copied to a temporary file, counted, and imported from there: a file refused
/// for its size must write nothing, and only the whole of it tells. Either way memory does not grow with the file.
/// </summary>
public sealed class ManifestUpload : IAsyncDisposable
{
    /// <summary>
    /// 100 MB: under the Functions host's own limit (104,857,600 bytes, <c>FUNCTIONS_REQUEST_BODY_SIZE_LIMIT</c>), so the
    /// answer to a larger file is this API's 413, not the host's. 20,000 lines with 4 KB hashes take about 82 MB.
    /// </summary>
    public const long MaxBytes = 100_000_000;

    /// <summary>Under the 230 s after which Azure's load balancer drops an HTTP trigger's answer.</summary>
    public static readonly TimeSpan ImportDeadline = TimeSpan.FromSeconds(200);

    private readonly FileStream? _spool;

    private ManifestUpload(Stream body, FileStream? spool)
    {
        Body = body;
        _spool = spool;
    }

    public Stream Body { get; }

    /// <summary>The charsets a manifest may declare: the reader takes UTF-8, and UTF-16 by its byte order mark.</summary>
    private static readonly HashSet<string> ReadableCharsets = new(StringComparer.OrdinalIgnoreCase) { "utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "unicode" };

    /// <summary>The body to import, or the problem to answer (415, 413) without reading it.</summary>
    public static async Task<(ManifestUpload? Upload, ApiResult? Refusal)> OpenAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)
            || (type.Charset.HasValue && !ReadableCharsets.Contains(type.Charset.Value ?? "")))
        {
            return (null, Problem.UnsupportedMediaType("A manifest is sent as text/csv, in UTF-8 or in UTF-16 with its byte order mark (charset utf-8 or utf-16)."));
        }

        var tooLarge = Problem.TooLarge($"A manifest is at most {MaxBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes; split the file.");
        if (request.ContentLength > MaxBytes)
        {
            return (null, tooLarge);
        }

        // Kestrel's default (30 MB) would refuse a valid manifest halfway, in the worker as in the dev host; the length
        // is checked above, or counted below, so that a larger body gets this API's 413 rather than a bare one.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        if (request.ContentLength is not null)
        {
            return (new ManifestUpload(request.Body, null), null);
        }

        var spool = new FileStream(Path.Combine(Path.GetTempPath(), $"manifest-{Guid.NewGuid():N}.csv"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (spool.Length + read > MaxBytes)
            {
                await spool.DisposeAsync();
                return (null, tooLarge);
            }

            await spool.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        spool.Position = 0;
        return (new ManifestUpload(spool, spool), null);
    }

    /// <summary>What the query asks: the manifest's name (required) and the school of lines without a Group Tag.</summary>
    public static (ManifestRequest? Request, Dictionary<string, string[]> Errors) ParseQuery(IQueryCollection query, IReadOnlySet<string> schools)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var name = query["name"].ToString().Trim();
        if (name.Length is 0 or > 128 || name.Any(char.IsControl))
        {
            errors["name"] = ["name must be 1-128 characters without control characters (the file's name, for instance)."];
        }

        var uai = InventoryQuery.ReadSchool(query, schools, errors);

        return errors.Count > 0 ? (null, errors) : (new ManifestRequest(name, uai), errors);
    }

    public async ValueTask DisposeAsync()
    {
        if (_spool is not null)
        {
            await _spool.DisposeAsync();
        }
    }
}
