using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Schools;

/// <summary>How a benchmark manifest is laid out: its encoding, header and lines, and how a user's tool posts it.</summary>
/// <param name="SchoolQuery">The query's <c>&amp;schoolUai=</c> for a file whose lines name no school, or "".</param>
internal sealed record ManifestLayout(string Name, Encoding Encoding, string Header, string ContentType, string SchoolQuery, Func<string, string, string, int, string> Line)
{
    public const string ProgrammeName = "programme";
    public const string AutopilotUtf16Name = "autopilot-utf16";

    // What a French reseller's spreadsheet exports: BOM, ';', CRLF, decimal comma; lines spread over the 56 collèges.
    public static ManifestLayout Programme { get; } = new(ProgrammeName, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true),
        "serialNumber;schoolUai;deviceType;manufacturer;model;purchaseOrder;invoiceNumber;unitCostEur;hardwareHash", "text/csv; charset=utf-8", "",
        (serial, school, hash, i) => $"{serial};{school};laptop;HP;ProBook 440 G8;BC-2026-{i / 500:D4};F-{i / 1000:D5};612,50;{hash}");

    // What Get-WindowsAutopilotInfo -OutputFile writes under Windows PowerShell 5.1: ConvertTo-Csv -NoTypeInformation with its
    // quotes removed (-replace '"',''), then Out-File, whose default encoding is UTF-16 LE with a BOM, CRLF. The Windows Product
    // ID is empty (the script does not read it) and there is no Group Tag column, so the school is the query's schoolUai=.
    // Posted as `Invoke-RestMethod -InFile ... -ContentType text/csv` or curl --data-binary send it: the bytes as they are,
    // text/csv without a charset (the BOM tells the encoding).
    public static ManifestLayout AutopilotUtf16 { get; } = new(AutopilotUtf16Name, new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
        "Device Serial Number,Windows Product ID,Hardware Hash", "text/csv", $"&schoolUai={BundledSchoolRegistry.Load()[0].Uai}",
        (serial, _, hash, _) => $"{serial},,{hash}");

    public static IReadOnlyList<ManifestLayout> All { get; } = [Programme, AutopilotUtf16];

    public long ByteCount(string line) => Encoding.GetByteCount(line + "\r\n");

    /// <summary>The import's limit for a file of this encoding (UTF-16, told by its byte order mark, may have twice the bytes).</summary>
    public long MaxBytes => Encoding is UnicodeEncoding ? ManifestUpload.MaxUtf16Bytes : ManifestUpload.MaxBytes;
}

/// <summary>
/// What the import answered: its status, the size of its body and the body (JSON, or null when it is not); or, when the
/// connection failed before an answer came, no status and the client's error as <see cref="Text"/>.
/// </summary>
internal sealed record ManifestAnswer(HttpStatusCode? Status, long Bytes, JsonElement? Body, string Text)
{
    public bool Imported => Status == HttpStatusCode.Created && Body is not null;

    public string StatusText => Status is { } status ? ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer";

    public int Count(string property) => Body is { } body && body.TryGetProperty(property, out var value) ? value.GetInt32() : 0;

    /// <summary>The answer of a 201, or an exception naming what came instead.</summary>
    public JsonElement EnsureImported() =>
        Imported ? Body!.Value : throw new InvalidOperationException($"Import answered {StatusText}: {Text[..Math.Min(Text.Length, 500)]}");
}

/// <summary>The benchmark's manifest: written to a temporary file in a <see cref="ManifestLayout"/>, posted from the file.</summary>
internal static class ManifestFile
{
    public static async Task<ManifestAnswer> PostAsync(HttpClient http, string path, ManifestLayout layout, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        // A seekable stream: the client sends its Content-Length and streams the file 64 KB at a time.
        using var content = new StreamContent(file, 64 * 1024);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(layout.ContentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"inventory/manifests?name={Path.GetFileName(path)}{layout.SchoolQuery}") { Content = content };
        // Expect: 100-continue, as the tools administrators post files with send it: Windows PowerShell 5.1's Invoke-RestMethod
        // (.NET Framework's ServicePointManager.Expect100Continue is true by default) and curl for a POST over 1 MB
        // (everything.curl.dev, "Expect 100-continue"). A body refused for its length (413) is then answered before it is
        // sent; without it, HttpClient sent on and saw the server close the connection ("Broken pipe"), the 413 unread.
        request.Headers.ExpectContinue = true;
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return new ManifestAnswer(null, 0, null, $"{ex.Message} {ex.InnerException?.Message}".Trim());
        }

        using var answered = response;
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var text = Encoding.UTF8.GetString(bytes);
        var isJson = response.Content.Headers.ContentType?.MediaType is { } type && type.EndsWith("json", StringComparison.Ordinal);
        return new ManifestAnswer(response.StatusCode, bytes.LongLength, isJson ? JsonDocument.Parse(bytes).RootElement.Clone() : null, text);
    }

    /// <summary>
    /// Up to <paramref name="count"/> valid lines, each with a random hash of <paramref name="hashBytes"/> bytes, as many as
    /// fit in <paramref name="maxBytes"/> (the BOM and header included); returns how many were written.
    /// </summary>
    public static async Task<int> WriteAsync(string path, ManifestLayout layout, int count, long maxBytes, int hashBytes, string prefix, CancellationToken cancellationToken)
    {
        var schools = BundledSchoolRegistry.Load();
        var random = new Random(count);
        var hash = new byte[hashBytes];
        await using var writer = new StreamWriter(path, append: false, layout.Encoding, 64 * 1024);
        await writer.WriteAsync(layout.Header + "\r\n");
        var bytes = layout.Encoding.GetPreamble().Length + layout.ByteCount(layout.Header);
        var written = 0;
        for (; written < count; written++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            random.NextBytes(hash);
            var line = layout.Line($"5CG{prefix}{written:D7}", schools[written % schools.Count].Uai, Convert.ToBase64String(hash), written);
            bytes += layout.ByteCount(line);
            if (bytes > maxBytes)
            {
                break;
            }

            await writer.WriteAsync(line + "\r\n");
        }

        return written;
    }

    /// <summary>The layout's header, then as many lines "a" as fit in <paramref name="maxBytes"/>; returns how many were written.</summary>
    public static async Task<long> WriteJunkAsync(string path, ManifestLayout layout, long maxBytes, CancellationToken cancellationToken)
    {
        const string junkLine = "a\r\n";
        var lineBytes = layout.Encoding.GetByteCount(junkLine);
        var lines = (maxBytes - layout.Encoding.GetPreamble().Length - layout.ByteCount(layout.Header)) / lineBytes;
        // Written a block of lines at a time: 33 million writes of 3 characters would take longer than the import.
        const int linesPerBlock = 16 * 1024;
        var block = string.Concat(Enumerable.Repeat(junkLine, linesPerBlock));
        await using var writer = new StreamWriter(path, append: false, layout.Encoding, 64 * 1024);
        await writer.WriteAsync(layout.Header + "\r\n");
        for (var done = 0L; done < lines; done += linesPerBlock)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var take = (int)Math.Min(linesPerBlock, lines - done);
            await writer.WriteAsync(take == linesPerBlock ? block.AsMemory() : block.AsMemory(0, take * junkLine.Length), cancellationToken);
        }

        return lines;
    }
}
