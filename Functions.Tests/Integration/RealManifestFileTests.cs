using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// Manifests as Windows writes them: Get-WindowsAutopilotInfo's CSV under Windows PowerShell 5.1 (Out-File without
/// -Encoding: UTF-16 LE with its BOM, CRLF), the same in UTF-16 BE, a file whose encoding cannot be read, a reseller's
/// own Group Tag, and serials a spreadsheet rewrote.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class RealManifestFileTests(BackendFixture backend)
{
    private const string School = "0720001K";
    private const string AutopilotHeader = "\"Device Serial Number\",\"Windows Product ID\",\"Hardware Hash\",\"Group Tag\"";

    /// <summary>What Export-Csv -NoTypeInformation then Out-File write under Windows PowerShell 5.1: quoted fields, CRLF, UTF-16 LE with BOM.</summary>
    private static byte[] AsWindowsPowerShellWritesIt(string csv, Encoding encoding) => [.. encoding.GetPreamble(), .. encoding.GetBytes(csv.Replace("\n", "\r\n"))];

    private async Task<HttpResponseMessage> PostAsync(byte[] body, string contentType, string query = "")
    {
        var request = backend.Request(HttpMethod.Post, $"api/inventory/manifests?name=autopilot-hashes.csv{query}", AdminRoles.Admin);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await backend.Client.SendAsync(request);
    }

    private static string Lines(params string[] serials) =>
        AutopilotHeader + "\n" + string.Concat(serials.Select(s => $"\"{s}\",\"\",\"{Manifests.Hash(s)}\",\"{School}\"\n"));

    [Theory]
    [InlineData("utf-16le", "text/csv; charset=utf-16")]
    [InlineData("utf-16be", "text/csv")]
    public async Task Get_windows_autopilot_infos_utf16_file_with_its_bom_is_imported(string encodingName, string contentType)
    {
        var serials = new[] { Enroller.NewSerial("UTF16A"), Enroller.NewSerial("UTF16B") };
        using var response = await PostAsync(AsWindowsPowerShellWritesIt(Lines(serials), Encoding.GetEncoding(encodingName)), contentType);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var result = JsonDocument.Parse(body).RootElement;
        Assert.Equal(2, result.GetProperty("accepted").GetInt32());
        Assert.Equal(0, result.GetProperty("rejectedCount").GetInt32());
    }

    [Fact]
    public async Task A_utf16_file_without_its_bom_is_refused_naming_the_encoding_not_the_header()
    {
        using var response = await PostAsync(Encoding.Unicode.GetBytes(Lines(Enroller.NewSerial("NOBOM"))), "text/csv");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        var message = problem.GetProperty("errors").GetProperty("body")[0].GetString()!;
        Assert.Contains("UTF-16", message, StringComparison.Ordinal);
        Assert.DoesNotContain("header", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_ansi_file_as_excel_saves_plain_csv_is_refused_naming_the_encoding()
    {
        var latin1 = Encoding.Latin1.GetBytes(Manifests.ProgrammeHeader.Replace("serialNumber", "numéroSérie", StringComparison.Ordinal) + "\n");
        using var response = await PostAsync(latin1, "text/csv");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("ANSI", problem.GetProperty("errors").GetProperty("body")[0].GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resellers_own_group_tag_is_refused_with_its_value_unless_the_query_names_the_school()
    {
        var serial = Enroller.NewSerial("RESTAG");
        var csv = AutopilotHeader + "\n" + $"\"{serial}\",\"\",\"{Manifests.Hash(serial)}\",\"LOT-2026-SARTHE\"\n";

        var refused = await Manifests.ImportAsync(backend, csv, "reseller.csv");
        var message = refused.GetProperty("rejected")[0].GetProperty("errors").GetProperty("schoolUai")[0].GetString()!;
        Assert.Contains("Group Tag", message, StringComparison.Ordinal);
        Assert.Contains("\"LOT-2026-SARTHE\"", message, StringComparison.Ordinal);

        var accepted = await Manifests.ImportAsync(backend, csv, "reseller.csv", $"&schoolUai={School}");
        Assert.Equal(1, accepted.GetProperty("accepted").GetInt32());
        var row = Assert.Single(await Manifests.InventoryAsync(backend, $"schoolUai={School}"), r => r.GetProperty("serialNumber").GetString() == serial);
        Assert.Equal(School, row.GetProperty("schoolUai").GetString());
    }

    [Theory]
    [InlineData("1,23457E+12")]
    [InlineData("1.23457E+12")]
    [InlineData("123 456 789")]
    public async Task A_serial_a_spreadsheet_rewrote_is_refused_saying_so_with_its_value(string mangled)
    {
        var csv = $"Device Serial Number;Windows Product ID;Hardware Hash\n{mangled};;{Manifests.Hash("X")}\n";

        var result = await Manifests.ImportAsync(backend, csv, "excel.csv", $"&schoolUai={School}");

        var message = result.GetProperty("rejected")[0].GetProperty("errors").GetProperty("serialNumber")[0].GetString()!;
        Assert.StartsWith($"Device Serial Number \"{mangled}\"", message, StringComparison.Ordinal);
        Assert.Contains("spreadsheet", message, StringComparison.Ordinal);
    }
}
