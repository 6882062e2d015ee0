using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>Manifests through HTTP into Azurite: both formats, every kind of bad line, re-import and update.</summary>
[Collection(BackendCollection.Name)]
public sealed class InventoryTests(BackendFixture backend)
{
    private const string A = "0720001K";
    private const string B = "0721483W";

    private static string S(string prefix = "INV") => Enroller.NewSerial(prefix);

    [Fact]
    public async Task A_programme_manifest_as_a_french_spreadsheet_writes_it_is_stored_line_by_line()
    {
        var (s1, s2) = (S(), S());
        // BOM, ';', CRLF, decimal comma, a quoted model with the separator in it.
        var csv = $"serialNumber;schoolUai;deviceType;manufacturer;model;purchaseOrder;invoiceNumber;unitCostEur;assetTag\r\n" +
                  $"{s1.ToLowerInvariant()};0720001k;laptop;HP;\"ProBook; 440 G8\";BC-2026-0412;F-88213;612,50;SARTHE-1\r\n" +
                  $"{s2};{A};tablet;Lenovo;Tab M10;BC-2026-0412;F-88213;289,9;\r\n";

        var result = await Manifests.ImportAsync(backend, csv, "livraison-1.csv", bom: true);

        Assert.Equal((2, 2, 0, 0, 0), (result.GetProperty("rows").GetInt32(), result.GetProperty("accepted").GetInt32(), result.GetProperty("updated").GetInt32(),
            result.GetProperty("unchanged").GetInt32(), result.GetProperty("rejected").GetArrayLength()));
        Assert.Equal("livraison-1.csv", result.GetProperty("name").GetString());
        var items = await Manifests.InventoryAsync(backend, "purchaseOrder=BC-2026-0412&schoolUai=" + A);
        var first = items.Single(i => i.GetProperty("serialNumber").GetString() == s1);
        Assert.Equal(("ProBook; 440 G8", 612.50m, "F-88213", false), (first.GetProperty("model").GetString(), first.GetProperty("unitCostEur").GetDecimal(),
            first.GetProperty("invoiceNumber").GetString(), first.GetProperty("hasHardwareHash").GetBoolean()));
        Assert.Equal("612.50", first.GetProperty("unitCostEur").GetRawText());
        Assert.Equal(289.90m, items.Single(i => i.GetProperty("serialNumber").GetString() == s2).GetProperty("unitCostEur").GetDecimal());
        Assert.False(first.TryGetProperty("deviceStatus", out _));

        var manifests = await backend.GetJsonAsync<JsonElement>("api/inventory/manifests");
        var listed = manifests.EnumerateArray().Single(m => m.GetProperty("manifestId").GetString() == result.GetProperty("manifestId").GetString());
        Assert.Equal(("livraison-1.csv", 2), (listed.GetProperty("name").GetString(), listed.GetProperty("rows").GetInt32()));
        Assert.False(string.IsNullOrEmpty(listed.GetProperty("importedBy").GetString()));
        Assert.False(listed.TryGetProperty("incomplete", out _));
    }

    [Fact]
    public async Task An_enrolled_device_shows_its_inventory_and_the_inventory_shows_its_status()
    {
        var serial = S();
        using (var enrolled = await backend.Enroller.EnrolAsync(serial, A))
        {
            Assert.Equal(HttpStatusCode.Accepted, enrolled.StatusCode);
        }

        var result = await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serial},{A},laptop,HP,ProBook 440 G8,BC-7,F-7,\"612,50\"\n");

        var device = (await backend.DeviceAsync(serial))!.Value;
        var inventory = device.GetProperty("inventory");
        Assert.Equal(("BC-7", "F-7", 612.50m, result.GetProperty("manifestId").GetString()),
            (inventory.GetProperty("purchaseOrder").GetString(), inventory.GetProperty("invoiceNumber").GetString(), inventory.GetProperty("unitCostEur").GetDecimal(), inventory.GetProperty("manifestId").GetString()));
        var item = (await Manifests.InventoryAsync(backend, "purchaseOrder=BC-7")).Single(i => i.GetProperty("serialNumber").GetString() == serial);
        Assert.Contains(item.GetProperty("deviceStatus").GetString(), new[] { "received", "registering", "registered" });
    }

    [Fact]
    public async Task An_autopilot_csv_adds_hashes_to_programme_rows_and_keeps_their_purchase_data_audited_before_and_after()
    {
        var (s1, s2) = (S(), S());
        await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{s1},{A},laptop,HP,ProBook,BC-8,F-8,450.10\n");

        // As OEMs deliver it: comma, LF, no BOM, Group Tag = UAI, an Assigned User the product does not keep.
        var autopilot = $"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\n{s1},,{Manifests.Hash(s1)},{A},\n{s2},00330-80000-00000-AA123,{Manifests.Hash(s2)},{B},pupil@example.org\n";
        var result = await Manifests.ImportAsync(backend, autopilot, "oem.csv");

        Assert.Equal((1, 1, 0), (result.GetProperty("accepted").GetInt32(), result.GetProperty("updated").GetInt32(), result.GetProperty("rejected").GetArrayLength()));
        var first = (await Manifests.InventoryAsync(backend, "purchaseOrder=BC-8")).Single();
        Assert.Equal((450.10m, true), (first.GetProperty("unitCostEur").GetDecimal(), first.GetProperty("hasHardwareHash").GetBoolean()));
        var second = (await Manifests.InventoryAsync(backend, "schoolUai=" + B)).Single(i => i.GetProperty("serialNumber").GetString() == s2);
        Assert.False(second.TryGetProperty("unitCostEur", out _));
        Assert.False(second.TryGetProperty("purchaseOrder", out _));

        var trail = await Eventually.MatchesAsync(() => backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={s1}"),
            t => t.GetProperty("items").EnumerateArray().Any(e => e.GetProperty("type").GetString() == "inventory.updated"), because: "the update is audited");
        var updated = trail.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "inventory.updated");
        Assert.Equal("administrator", updated.GetProperty("actor").GetProperty("kind").GetString());
        var data = updated.GetProperty("data");
        Assert.Equal(JsonValueKind.Null, data.GetProperty("before").GetProperty("hardwareHash").ValueKind);
        Assert.StartsWith("sha256:", data.GetProperty("after").GetProperty("hardwareHash").GetString());
        Assert.False(data.GetProperty("after").TryGetProperty("unitCostEur", out _));
        Assert.DoesNotContain("pupil@example.org", trail.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_autopilot_csv_without_group_tag_takes_its_school_from_the_query_and_is_refused_without_it()
    {
        var serial = S();
        var csv = $"Device Serial Number,Windows Product ID,Hardware Hash\r\n{serial},,{Manifests.Hash(serial)}\r\n";

        using var refused = await Manifests.PostAsync(backend, csv);
        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("schoolUai", out _));
        Assert.DoesNotContain(await Manifests.InventoryAsync(backend, "schoolUai=" + B), i => i.GetProperty("serialNumber").GetString() == serial);

        var result = await Manifests.ImportAsync(backend, csv, query: "&schoolUai=" + B.ToLowerInvariant());
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        Assert.Contains(await Manifests.InventoryAsync(backend, "schoolUai=" + B), i => i.GetProperty("serialNumber").GetString() == serial);
    }

    [Fact]
    public async Task Each_bad_line_is_rejected_with_its_line_and_field_and_the_valid_lines_are_kept()
    {
        var (ok1, ok2, unknownSchool, badLetter, dup, elsewhere, negative, notANumber, badHash, split) = (S(), S(), S(), S(), S(), S(), S(), S(), S(), S());
        await backend.Host.Services.GetRequiredService<SerialClaims>().ClaimAsync(elsewhere, B, CancellationToken.None);
        var lines = new[]
        {
            Manifests.ProgrammeHeader + ",hardwareHash",
            $"{ok1},{A},laptop,HP,ProBook,BC-9,F-9,450.10,",                  // 2
            $"{unknownSchool},0720003M,laptop,HP,ProBook,BC-9,F-9,450.10,",   // 3 a valid UAI, not of the registry
            $"{badLetter},0720001A,laptop,HP,ProBook,BC-9,F-9,450.10,",       // 4
            $"{dup},{A},laptop,HP,ProBook,BC-9,F-9,450.10,",                  // 5
            $"{dup},{A},laptop,HP,ProBook,BC-9,F-9,450.10,",                  // 6 the same serial again
            $"{elsewhere},{A},laptop,HP,ProBook,BC-9,F-9,450.10,",            // 7 enrolled at B
            $"{negative},{A},laptop,HP,ProBook,BC-9,F-9,-1.00,",              // 8
            $"{notANumber},{A},laptop,HP,ProBook,BC-9,F-9,beaucoup,",         // 9
            $"{badHash},{A},laptop,HP,ProBook,BC-9,F-9,450.10,not*base64",    // 10
            $"{split},{A},laptop,HP,ProBook,BC-9,F-9,450,10,{Manifests.Hash(split)}", // 11 decimal comma unquoted in a comma file
            $"{ok2},{A},desktop,Dell,OptiPlex,BC-9,F-9,\"612,50\",{Manifests.Hash(ok2)}", // 12
        };

        using var response = await Manifests.PostAsync(backend, string.Join("\n", lines));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((11, 3, 8), (result.GetProperty("rows").GetInt32(), result.GetProperty("accepted").GetInt32(), result.GetProperty("rejected").GetArrayLength()));
        var rejected = result.GetProperty("rejected").EnumerateArray()
            .ToDictionary(r => r.GetProperty("line").GetInt32(), r => r.GetProperty("errors").EnumerateObject().Select(e => e.Name).Single());
        Assert.Equal(new Dictionary<int, string>
        {
            [3] = "schoolUai", [4] = "schoolUai", [6] = "serialNumber", [7] = "serialNumber", [8] = "unitCostEur", [9] = "unitCostEur", [10] = "hardwareHash", [11] = "line",
        }, rejected);
        Assert.Equal([3, 4, 6, 7, 8, 9, 10, 11], result.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("line").GetInt32()));
        Assert.Contains("line 5", result.GetProperty("rejected")[2].GetProperty("errors").GetProperty("serialNumber")[0].GetString());

        var stored = (await Manifests.InventoryAsync(backend, "purchaseOrder=BC-9")).Select(i => i.GetProperty("serialNumber").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { ok1, dup, ok2 }, stored);
    }

    [Theory]
    [InlineData("serialNumber,schoolUai,deviceType,manufacturer,model,purchaseOrder,invoiceNumber\nX1,0720001K,laptop,HP,P,BC,F\n", "unitCostEur")]
    [InlineData("serial,school,cost\nX1,0720001K,1\n", "body")]
    [InlineData("serialNumber,schoolUai,deviceType,manufacturer,model,purchaseOrder,invoiceNumber,unitCostEur,colour\nX1,0720001K,laptop,HP,P,BC,F,1,red\n", "body")]
    [InlineData("Device Serial Number,Hardware Hash\nX1,AAAA\n", "productKey")]
    [InlineData("%PDF-1.7\n\u0001\u0002\u0003binary", "body")]
    [InlineData("", "body")]
    public async Task A_file_with_a_wrong_header_or_a_missing_column_is_400_naming_it_and_stores_nothing(string csv, string field)
    {
        var before = (await backend.GetJsonAsync<JsonElement>("api/inventory/manifests")).GetArrayLength();

        using var response = await Manifests.PostAsync(backend, csv.Replace("X1", S("NOPE"), StringComparison.Ordinal));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Equal(before, (await backend.GetJsonAsync<JsonElement>("api/inventory/manifests")).GetArrayLength());
    }

    [Fact]
    public async Task Importing_the_same_file_again_changes_nothing()
    {
        var (s1, s2) = (S(), S());
        var csv = $"{Manifests.ProgrammeHeader},hardwareHash\n{s1},{A},laptop,HP,ProBook,BC-10,F-10,450.10,{Manifests.Hash(s1)}\n{s2},{A},laptop,HP,ProBook,BC-10,F-10,450.10,\n";
        var first = await Manifests.ImportAsync(backend, csv);

        var again = await Manifests.ImportAsync(backend, csv);

        Assert.Equal((2, 0, 0, 2), (again.GetProperty("rows").GetInt32(), again.GetProperty("accepted").GetInt32(), again.GetProperty("updated").GetInt32(), again.GetProperty("unchanged").GetInt32()));
        var items = await Manifests.InventoryAsync(backend, "purchaseOrder=BC-10");
        Assert.All(items, i => Assert.Equal(first.GetProperty("manifestId").GetString(), i.GetProperty("manifestId").GetString()));
        await Task.Delay(TimeSpan.FromSeconds(1)); // let the audit queue drain: nothing was updated, so nothing may appear
        var trail = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={s1}");
        Assert.DoesNotContain(trail.GetProperty("items").EnumerateArray(), e => e.GetProperty("type").GetString() == "inventory.updated");
    }

    [Fact]
    public async Task A_line_that_changes_purchase_data_is_updated_and_audited_with_before_and_after()
    {
        var serial = S();
        await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serial},{A},laptop,HP,ProBook,BC-11,F-11,450.10\n");

        var second = await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serial},{A},laptop,HP,ProBook,BC-11,F-11-AVOIR,\"430,00\"\n", "correction.csv");

        Assert.Equal((1, 0), (second.GetProperty("updated").GetInt32(), second.GetProperty("accepted").GetInt32()));
        var item = (await Manifests.InventoryAsync(backend, "purchaseOrder=BC-11")).Single();
        Assert.Equal((430.00m, "F-11-AVOIR", second.GetProperty("manifestId").GetString()),
            (item.GetProperty("unitCostEur").GetDecimal(), item.GetProperty("invoiceNumber").GetString(), item.GetProperty("manifestId").GetString()));
        var trail = await Eventually.MatchesAsync(() => backend.GetJsonAsync<JsonElement>($"api/audit?schoolUai={A}&pageSize=500"),
            t => t.GetProperty("items").EnumerateArray().Any(e => e.GetProperty("serialNumber").GetString() == serial && e.GetProperty("type").GetString() == "inventory.updated"),
            because: "the change reaches the school's trail");
        var data = trail.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("serialNumber").GetString() == serial).GetProperty("data");
        Assert.Equal("""{"invoiceNumber":"F-11","unitCostEur":450.10}""", data.GetProperty("before").GetRawText());
        Assert.Equal("""{"invoiceNumber":"F-11-AVOIR","unitCostEur":430.00}""", data.GetProperty("after").GetRawText());
        Assert.Equal(2, data.GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task A_row_moving_a_serial_to_another_school_is_an_update_unless_the_device_enrolled_elsewhere()
    {
        var serial = S();
        await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serial},{A},laptop,HP,ProBook,BC-12,F-12,450.10\n");

        var moved = await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serial},{B},laptop,HP,ProBook,BC-12,F-12,450.10\n");

        Assert.Equal(1, moved.GetProperty("updated").GetInt32());
        Assert.Equal(B, (await Manifests.InventoryAsync(backend, "purchaseOrder=BC-12")).Single().GetProperty("schoolUai").GetString());
    }

    [Fact]
    public async Task The_content_type_is_checked_and_a_body_over_the_limit_is_413_and_stores_nothing_even_without_a_length()
    {
        using var json = await Manifests.PostAsync(backend, "{}", contentType: "application/json");
        Assert.True(json.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{json.StatusCode} {json.Content.Headers.ContentType} {await json.Content.ReadAsStringAsync()}");
        await ProblemAssert.IsProblemAsync(json, HttpStatusCode.UnsupportedMediaType);
        using var readOnly = await Manifests.PostAsync(backend, Manifests.ProgrammeHeader + "\n", role: AdminRoles.Read);
        await ProblemAssert.IsProblemAsync(readOnly, HttpStatusCode.Forbidden);

        // Valid lines first, then enough to pass 100 MB, sent chunked (no Content-Length): refused whole.
        var first = S("BIG");
        var request = backend.Request(HttpMethod.Post, "api/inventory/manifests?name=big.csv", AdminRoles.Admin);
        request.Content = new GeneratedCsv($"{Manifests.ProgrammeHeader}\n{first},{A},laptop,HP,ProBook,BC-BIG,F-BIG,1.00\n", 100_000_001);
        using var client = new HttpClient { BaseAddress = backend.Client.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        using var tooLarge = await client.SendAsync(request);
        Assert.True(tooLarge.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{tooLarge.StatusCode} {tooLarge.Content.Headers.ContentType} {await tooLarge.Content.ReadAsStringAsync()}");
        await ProblemAssert.IsProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(await Manifests.InventoryAsync(backend, "purchaseOrder=BC-BIG"));

        // The same, small, also chunked: imported.
        var small = backend.Request(HttpMethod.Post, "api/inventory/manifests?name=small.csv", AdminRoles.Admin);
        small.Content = new GeneratedCsv($"{Manifests.ProgrammeHeader}\n{first},{A},laptop,HP,ProBook,BC-BIG,F-BIG,1.00\n", 0);
        using var accepted = await client.SendAsync(small);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Single(await Manifests.InventoryAsync(backend, "purchaseOrder=BC-BIG"));
    }

    [Fact]
    public async Task Two_imports_of_overlapping_files_at_once_store_each_serial_once_and_lose_no_change()
    {
        var prefix = S("RACE");
        var serials = Enumerable.Range(0, 300).Select(i => $"{prefix}-{i:D3}").ToList();
        string File(string cost) => Manifests.ProgrammeHeader + "\n" + string.Join("\n", serials.Select(s => $"{s},{A},laptop,HP,ProBook,BC-RACE,F-RACE,{cost}"));

        var results = await Task.WhenAll(Manifests.ImportAsync(backend, File("100.00"), "first.csv"), Manifests.ImportAsync(backend, File("200.00"), "second.csv"));

        Assert.Equal(300, results.Sum(r => r.GetProperty("accepted").GetInt32()));
        Assert.Equal(300, results.Sum(r => r.GetProperty("updated").GetInt32() + r.GetProperty("unchanged").GetInt32()));
        var items = await Manifests.InventoryAsync(backend, "purchaseOrder=BC-RACE");
        Assert.Equal(serials, items.Select(i => i.GetProperty("serialNumber").GetString()));
        // Whichever file's line came second is what each row holds, and the row names that file's manifest.
        var manifestOf = results.ToDictionary(r => r.GetProperty("manifestId").GetString()!, r => r.GetProperty("name").GetString());
        Assert.All(items, i => Assert.Equal(i.GetProperty("unitCostEur").GetDecimal() == 100.00m ? "first.csv" : "second.csv", manifestOf[i.GetProperty("manifestId").GetString()!]));
    }

    [Fact]
    public async Task A_batch_whose_serials_span_a_crowded_range_is_read_serial_by_serial_with_the_same_outcome()
    {
        var prefix = S("WIDE");
        var serials = Enumerable.Range(0, 1100).Select(i => $"{prefix}-{i:D4}").ToList();
        await Manifests.ImportAsync(backend, Manifests.ProgrammeHeader + "\n" + string.Join("\n", serials.Select(s => $"{s},{A},laptop,HP,ProBook,BC-WIDE,F-WIDE,1.00")));

        // The first and the last: a range of 1,100 stored rows, more than a batch reads at once.
        var again = await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serials[0]},{A},laptop,HP,ProBook,BC-WIDE,F-WIDE,1.00\n{serials[^1]},{A},laptop,HP,ProBook,BC-WIDE,F-WIDE,2.00\n");

        Assert.Equal((1, 1, 0), (again.GetProperty("unchanged").GetInt32(), again.GetProperty("updated").GetInt32(), again.GetProperty("accepted").GetInt32()));
    }

    [Fact]
    public async Task Inventory_pages_follow_serial_order_and_their_tokens_are_bound_to_their_query()
    {
        var serials = Enumerable.Range(0, 5).Select(_ => S("PAGE")).Order(StringComparer.Ordinal).ToList();
        await Manifests.ImportAsync(backend, Manifests.ProgrammeHeader + "\n" + string.Join("\n", serials.Select(s => $"{s},{A},laptop,HP,ProBook,BC-PAGE,F-P,1.00")));

        var page1 = await backend.GetJsonAsync<JsonElement>("api/inventory?purchaseOrder=BC-PAGE&pageSize=2");
        var token = page1.GetProperty("continuationToken").GetString();
        var page2 = await backend.GetJsonAsync<JsonElement>($"api/inventory?purchaseOrder=BC-PAGE&pageSize=3&continuationToken={token}");

        Assert.Equal(serials, page1.GetProperty("items").EnumerateArray().Concat(page2.GetProperty("items").EnumerateArray()).Select(i => i.GetProperty("serialNumber").GetString()));
        Assert.False(page2.TryGetProperty("continuationToken", out _));
        using var elsewhere = await backend.GetAsync($"api/inventory?purchaseOrder=BC-OTHER&continuationToken={token}");
        Assert.True((await ProblemAssert.IsProblemAsync(elsewhere, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("continuationToken", out _));
        using var badSchool = await backend.GetAsync("api/inventory?schoolUai=0720001A");
        await ProblemAssert.IsProblemAsync(badSchool, HttpStatusCode.BadRequest);
    }

    /// <summary>A CSV body of a given size, generated while sent, without a length: what a streaming client sends chunked.</summary>
    private sealed class GeneratedCsv : HttpContent
    {
        private readonly string start;
        private readonly long totalBytes;

        public GeneratedCsv(string start, long totalBytes)
        {
            this.start = start;
            this.totalBytes = totalBytes;
            Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var head = Encoding.UTF8.GetBytes(start);
            await stream.WriteAsync(head);
            var filler = Encoding.UTF8.GetBytes(new string(',', 1023) + "\n");
            for (var sent = (long)head.Length; sent < totalBytes; sent += filler.Length)
            {
                await stream.WriteAsync(filler);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
