using System.Net;
using System.Text.Json;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>GET /api/schools/{uai}/devices and the live counts of GET /api/schools.</summary>
[Collection(BackendCollection.Name)]
public sealed class SchoolDevicesTests(BackendFixture backend)
{
    private const string School = "0720014Z";

    [Fact]
    public async Task Pages_in_serial_order_with_continuation_tokens_and_counts_follow()
    {
        var serials = Enumerable.Range(0, 5).Select(i => $"PAGE{i}-{Guid.NewGuid():N}"[..20].ToUpperInvariant()).ToList();
        foreach (var serial in serials)
        {
            (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await backend.GetJsonAsync<JsonElement>($"api/schools/{School}/devices?pageSize=2" + (token is null ? "" : $"&continuationToken={Uri.EscapeDataString(token)}"));
            Assert.True(page.GetProperty("items").GetArrayLength() <= 2);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("serialNumber").GetString()!));
            token = page.TryGetProperty("continuationToken", out var t) ? t.GetString() : null;
            pages++;
        }
        while (token is not null && pages < 50);

        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
        Assert.Superset(serials.ToHashSet(), seen.ToHashSet());

        foreach (var serial in serials)
        {
            await backend.SettledAsync(serial);
        }

        var school = await backend.GetJsonAsync<JsonElement>($"api/schools/{School}");
        var devices = school.GetProperty("devices");
        Assert.Equal(seen.Count, devices.GetProperty("total").GetInt32());
        Assert.Equal(seen.Count, devices.GetProperty("registered").GetInt32() + devices.GetProperty("failed").GetInt32());
        var list = await backend.GetJsonAsync<JsonElement>("api/schools");
        var listed = list.EnumerateArray().Single(s => s.GetProperty("uai").GetString() == School);
        Assert.Equal(seen.Count, listed.GetProperty("devices").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Status_filter_returns_only_that_status()
    {
        var serial = Enroller.NewSerial("FILTER");
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
        await backend.SettledAsync(serial);

        var page = await backend.GetJsonAsync<JsonElement>($"api/schools/{School}/devices?status=registered&pageSize=500");

        Assert.All(page.GetProperty("items").EnumerateArray(), d => Assert.Equal("registered", d.GetProperty("status").GetString()));
        Assert.Contains(page.GetProperty("items").EnumerateArray(), d => d.GetProperty("serialNumber").GetString() == serial);
    }

    [Theory]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=501", "pageSize")]
    [InlineData("pageSize=ten", "pageSize")]
    [InlineData("continuationToken=garbage!!", "continuationToken")]
    [InlineData("status=lost", "status")]
    public async Task Bad_parameters_are_400_naming_them(string query, string field)
    {
        using var response = await backend.GetAsync($"api/schools/{School}/devices?{query}");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Unknown_school_is_404()
    {
        using var response = await backend.GetAsync("api/schools/0720003M/devices");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }
}
