using System.Net;
using System.Text.Json;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

[Collection(BackendCollection.Name)]
public sealed class SchoolsTests(BackendFixture backend)
{
    [Fact]
    public async Task Lists_the_56_seeded_schools_in_uai_order_with_device_counts()
    {
        var schools = await backend.GetJsonAsync<JsonElement>("api/schools");

        Assert.Equal(56, schools.GetArrayLength());
        var uais = schools.EnumerateArray().Select(s => s.GetProperty("uai").GetString()!).ToList();
        Assert.Equal(uais.Order(StringComparer.Ordinal), uais);
        Assert.Equal(21_313, schools.EnumerateArray().Sum(s => s.GetProperty("pupils").GetInt32()));
        var first = schools[0];
        Assert.Equal("0720001K", first.GetProperty("uai").GetString());
        Assert.Equal("Collège John Kennedy", first.GetProperty("name").GetString());
        Assert.Equal("Allonnes", first.GetProperty("commune").GetString());
        Assert.True(first.GetProperty("active").GetBoolean());
        var devices = first.GetProperty("devices");
        foreach (var status in new[] { "received", "registering", "registered", "failed", "total" })
        {
            Assert.True(devices.GetProperty(status).GetInt32() >= 0, status);
        }
    }

    [Fact]
    public async Task Gets_one_school_by_uai_in_any_case()
    {
        var school = await backend.GetJsonAsync<JsonElement>("api/schools/0721483w");

        Assert.Equal("0721483W", school.GetProperty("uai").GetString());
    }

    [Theory]
    [InlineData("0720003M")] // valid UAI, not in the registry
    [InlineData("0720001A")] // bad check letter
    [InlineData("nonsense")]
    public async Task Unknown_school_is_404_problem(string uai)
    {
        using var response = await backend.GetAsync($"api/schools/{uai}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Admin_role_can_read_too()
    {
        using var response = await backend.GetAsync("api/schools", AdminRoles.Admin);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Seeding_again_is_idempotent()
    {
        var directory = (Schools.SchoolStore)backend.Host.Services.GetService(typeof(Schools.SchoolStore))!;

        await directory.SeedAsync(Schools.BundledSchoolRegistry.Load(), CancellationToken.None);
        await directory.SeedAsync(Schools.BundledSchoolRegistry.Load(), CancellationToken.None);

        Assert.Equal(56, (await directory.ListAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Unknown_route_is_404_problem_json()
    {
        using var response = await backend.GetAsync("api/no-such-thing", role: null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }
}
