using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Inventory;

/// <summary>
/// The body of <c>POST /api/inventory/manifests</c>: <c>text/csv</c>, at most <see cref="MaxBytes"/> (<see cref="MaxUtf16Bytes"/>
/// in UTF-16), read as a stream.
/// A body that declares its length is refused at once when too long and otherwise imported while it arrives. A body
/// without a length (chunked) is first copied to a temporary file, counted, and imported from there: a file refused
/// for its size must write nothing, and only the whole of it tells. Either way memory does not grow with the file.
/// </summary>
public sealed class ManifestUpload : IAsyncDisposable
{
    /// <summary>
    /// 100 MB of UTF-8: 20,000 lines with 4 KB hashes take about 82 MB. The same characters in UTF-16 (two bytes each,
    /// as Get-WindowsAutopilotInfo's Out-File writes under Windows PowerShell 5.1) take about 161 MB: a file that starts
    /// with a UTF-16 byte order mark may have <see cref="MaxUtf16Bytes"/>. Either way at most 100 million characters, so
    /// the lines an import reads, and its time, do not depend on the encoding.
    /// </summary>
    public const long MaxBytes = 100_000_000;

    /// <summary>
    /// A UTF-16 file's limit. The Functions host refuses a larger body itself, with an empty 413, from its own limit
    /// (<c>FUNCTIONS_REQUEST_BODY_SIZE_LIMIT</c>, 104,857,600 bytes unless set; azure-functions-host
    /// <c>HttpRequestBodySizeMiddleware</c>): infra sets it just above this one, so that a larger file gets this API's 413.
    /// </summary>
    public const long MaxUtf16Bytes = 2 * MaxBytes;

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

        var tooLarge = Problem.TooLarge($"A manifest is at most {MaxBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes " +
                                        $"({MaxUtf16Bytes.ToString("N0", CultureInfo.InvariantCulture)} in UTF-16); split the file.");
        if (request.ContentLength > MaxUtf16Bytes)
        {
            return (null, tooLarge);
        }

        // Kestrel's default (30 MB) would refuse a valid manifest halfway, in the worker as in the dev host; the length
        // is checked above, or counted below, so that a larger body gets this API's 413 rather than a bare one.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        if (request.ContentLength is { } length)
        {
            // Over 100 MB only UTF-16 may go on: its byte order mark tells, and is left for the import to read.
            if (length > MaxBytes && !await StartsWithUtf16MarkAsync(request.BodyReader, cancellationToken))
            {
                return (null, tooLarge);
            }

            return (new ManifestUpload(request.BodyReader.AsStream(leaveOpen: true), null), null);
        }

        var spool = new FileStream(Path.Combine(Path.GetTempPath(), $"manifest-{Guid.NewGuid():N}.csv"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (spool.Length + read > MaxUtf16Bytes)
            {
                await spool.DisposeAsync();
                return (null, tooLarge);
            }

            await spool.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        if (spool.Length > MaxBytes && !await StartsWithUtf16MarkAsync(spool, cancellationToken))
        {
            await spool.DisposeAsync();
            return (null, tooLarge);
        }

        spool.Position = 0;
        return (new ManifestUpload(spool, spool), null);
    }

    /// <summary>Whether a body starts with a UTF-16 byte order mark (LE FF FE, BE FE FF), the mark the import reads UTF-16 by.</summary>
    private static bool IsUtf16Mark(ReadOnlySpan<byte> start) =>
        start.Length >= 2 && ((start[0] == 0xFF && start[1] == 0xFE) || (start[0] == 0xFE && start[1] == 0xFF));

    /// <summary>Looks at the spooled body's first two bytes (the caller rewinds it before the import).</summary>
    private static async Task<bool> StartsWithUtf16MarkAsync(FileStream spool, CancellationToken cancellationToken)
    {
        var start = new byte[2];
        spool.Position = 0;
        return IsUtf16Mark(start.AsSpan(0, await spool.ReadAtLeastAsync(start, start.Length, throwOnEndOfStream: false, cancellationToken)));
    }

    /// <summary>Looks at the body's first two bytes without taking them.</summary>
    private static async Task<bool> StartsWithUtf16MarkAsync(PipeReader body, CancellationToken cancellationToken)
    {
        var read = await body.ReadAtLeastAsync(2, cancellationToken);
        var start = read.Buffer.Slice(0, Math.Min(2, read.Buffer.Length)).ToArray();
        body.AdvanceTo(read.Buffer.Start);
        return IsUtf16Mark(start);
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
