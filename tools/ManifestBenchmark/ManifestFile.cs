using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sarthe.Enrolment.Schools;

/// <summary>The benchmark's manifest: written to a temporary file as a reseller's spreadsheet exports it, posted from the file.</summary>
internal static class ManifestFile
{
    public static async Task<JsonElement> PostAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        using var content = new StreamContent(file, 64 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        using var response = await http.PostAsync($"inventory/manifests?name={Path.GetFileName(path)}", content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Import answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
        }

        return JsonDocument.Parse(body).RootElement.Clone();
    }

    // As a French reseller's spreadsheet exports it: BOM, ';', CRLF, decimal comma; lines spread over the 56 collèges.
    public static async Task WriteAsync(string path, int count, int hashBytes, string prefix, CancellationToken cancellationToken)
    {
        var schools = BundledSchoolRegistry.Load();
        var random = new Random(count);
        var hash = new byte[hashBytes];
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024);
        await writer.WriteAsync("serialNumber;schoolUai;deviceType;manufacturer;model;purchaseOrder;invoiceNumber;unitCostEur;hardwareHash\r\n");
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            random.NextBytes(hash);
            var school = schools[i % schools.Count].Uai;
            await writer.WriteAsync($"5CG{prefix}{i:D7};{school};laptop;HP;ProBook 440 G8;BC-2026-{i / 500:D4};F-{i / 1000:D5};612,50;{Convert.ToBase64String(hash)}\r\n");
        }
    }
}
