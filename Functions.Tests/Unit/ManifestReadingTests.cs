using System.Text;
using Sarthe.Enrolment.Inventory;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>Manifests as real files are: BOM or not, ';' or ',', quotes, CRLF, decimal comma, broken lines.</summary>
public sealed class ManifestReadingTests
{
    private static readonly HashSet<string> Schools = ["0720001K", "0721483W"];

    private static async Task<List<CsvRecord>> ReadAllAsync(string text, bool bom = false)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        using var reader = new ManifestCsvReader(new MemoryStream(bom ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes));
        var records = new List<CsvRecord>();
        while (await reader.ReadAsync(CancellationToken.None) is { } record)
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public async Task A_semicolon_file_with_a_bom_and_crlf_reads_as_a_french_spreadsheet_writes_it()
    {
        var records = await ReadAllAsync("serialNumber;schoolUai;unitCostEur\r\nSN1;0720001K;612,50\r\n", bom: true);

        Assert.Equal(["serialNumber", "schoolUai", "unitCostEur"], records[0].Fields);
        Assert.Equal(["SN1", "0720001K", "612,50"], records[1].Fields);
        Assert.Equal((1, 2), (records[0].Line, records[1].Line));
    }

    [Fact]
    public async Task Quoted_fields_keep_separators_doubled_quotes_and_line_breaks_and_lines_are_counted_as_an_editor_does()
    {
        var records = await ReadAllAsync("a,b,c\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\n\nlast,2,3");

        Assert.Equal(["x,1", "say \"hi\"", "two\nlines"], records[1].Fields);
        Assert.Equal(2, records[1].Line);
        Assert.Equal(5, records[2].Line); // the quoted line break and the blank line both count
        Assert.Equal(3, records.Count);
    }

    [Fact]
    public async Task Lines_of_separators_only_are_skipped_as_empty_spreadsheet_rows()
    {
        var records = await ReadAllAsync("a;b\r\n;\r\n1;2\r\n;;\r\n");

        Assert.Equal(2, records.Count);
        Assert.Equal(3, records[1].Line);
    }

    [Fact]
    public async Task A_quote_never_closed_spoils_only_its_own_line_up_to_the_record_limit()
    {
        var longLine = "\"" + new string('x', ManifestCsvReader.MaxRecordChars + 10) + ",\"quoted again";
        var records = await ReadAllAsync($"a,b\n{longLine}\nok,1\n");

        Assert.NotNull(records[1].Error);
        Assert.Equal(["ok", "1"], records[2].Fields);
        Assert.Equal(3, records[2].Line);
    }

    [Theory]
    [InlineData("612.50", 61250)]
    [InlineData("612,50", 61250)]
    [InlineData("612,5", 61250)]
    [InlineData("612", 61200)]
    [InlineData("1 234,56", 123456)]
    [InlineData("0", 0)]
    public void Unit_costs_read_with_a_decimal_point_or_comma(string text, long cents) =>
        Assert.Equal(cents, ManifestRowParser.ParseCents(text));

    [Theory]
    [InlineData("12.345")]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("12.")]
    [InlineData("€12")]
    public void Unit_costs_that_are_not_amounts_of_cents_are_refused(string text) =>
        Assert.Null(ManifestRowParser.ParseCents(text));

    [Fact]
    public void The_header_decides_the_format_and_names_what_is_missing_or_unknown()
    {
        var (programme, _) = ManifestFormat.Match(["serialNumber", "schoolUai", "deviceType", "manufacturer", "model", "purchaseOrder", "invoiceNumber", "unitCostEur", "hardwareHash", ""]);
        var (autopilot, _) = ManifestFormat.Match(["Device Serial Number", "Windows Product ID", "Hardware Hash", "Group Tag"]);
        var (_, missing) = ManifestFormat.Match(["serialNumber", "schoolUai", "deviceType", "manufacturer", "model", "purchaseOrder", "invoiceNumber"]);
        var (_, unknown) = ManifestFormat.Match(["serialNumber", "schoolUai", "deviceType", "manufacturer", "model", "purchaseOrder", "invoiceNumber", "unitCostEur", "colour"]);
        var (_, neither) = ManifestFormat.Match(["%PDF-1.7"]);

        Assert.Equal(ManifestFormat.Programme, programme!.Name);
        Assert.Equal(ManifestFormat.Autopilot, autopilot!.Name);
        Assert.Contains("unitCostEur", missing["unitCostEur"][0]);
        Assert.Contains("colour", unknown["body"][0]);
        Assert.Contains("header", neither["body"][0]);
    }

    [Fact]
    public void Each_bad_field_of_a_line_is_named()
    {
        var (format, _) = ManifestFormat.Match(["serialNumber", "schoolUai", "deviceType", "manufacturer", "model", "purchaseOrder", "invoiceNumber", "unitCostEur", "hardwareHash"]);

        var (row, errors) = ManifestRowParser.Parse(new CsvRecord(7, ["??", "0720001A", "phone", "HP", "", "BC-1", "F-1", "-3", "not base64!"]), format!, null, Schools);

        Assert.Null(row);
        Assert.Equal(["deviceType", "hardwareHash", "model", "schoolUai", "serialNumber", "unitCostEur"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("negative", errors["unitCostEur"][0]);
    }

    [Fact]
    public void An_autopilot_line_takes_its_school_from_the_group_tag_or_the_query()
    {
        var (format, _) = ManifestFormat.Match(["Device Serial Number", "Windows Product ID", "Hardware Hash", "Group Tag", "Assigned User"]);
        var hash = Convert.ToBase64String(new byte[4000]);

        var (tagged, _) = ManifestRowParser.Parse(new CsvRecord(2, ["sn-1", "", hash, "0721483w", "pupil@example.org"]), format!, "0720001K", Schools);
        var (untagged, _) = ManifestRowParser.Parse(new CsvRecord(3, ["SN-2", "", hash, ""]), format!, "0720001K", Schools);
        var (_, unknownSchool) = ManifestRowParser.Parse(new CsvRecord(4, ["SN-3", "", hash, "0720003M"]), format!, null, Schools);

        Assert.Equal(("SN-1", "0721483W", null), (tagged!.SerialNumber, tagged.SchoolUai, tagged.Purchase));
        Assert.Equal("0720001K", untagged!.SchoolUai);
        Assert.Contains("registry", unknownSchool["schoolUai"][0]);
    }
}
