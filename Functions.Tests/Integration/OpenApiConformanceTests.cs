using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// Every operation of the OpenAPI document, called against the running backend, its successes and its refusals: each
/// answer must be one the document lists for it, in a media type it lists, with a body valid against its schema. A
/// response type changed without the document, or an operation added without a scenario here, fails. The backend
/// holds unknown serials (policy hold), so that every answer can be produced: held devices to approve, bought ones
/// that register.
/// </summary>
public sealed class OpenApiConformanceTests(HoldPolicyFixture backend) : IClassFixture<HoldPolicyFixture>
{
    private const string School = "0720001K";
    private const string OtherSchool = "0721483W";
    private const string KeySchool = "0720004N";
    private const string NoSuchSchool = "0729999C"; // a well-formed UAI of no school of the registry
    private const string UnknownSerial = "NO-SUCH-DEVICE-0001";

    private readonly CheckedCalls _calls = new(backend);

    public static TheoryData<string> DocumentedOperations() => [.. DescribedApi.Instance.Operations.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void Every_operation_of_the_document_has_a_conformance_scenario_and_every_scenario_an_operation()
    {
        var scenarios = Scenarios().Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(DescribedApi.Instance.Operations.Keys.Order(StringComparer.Ordinal), scenarios);
    }

    [Theory]
    [MemberData(nameof(DocumentedOperations))]
    public async Task Every_answer_of_the_operation_follows_the_document(string operationId)
    {
        Assert.True(Scenarios().TryGetValue(operationId, out var scenario), $"{operationId} has no scenario");
        var expected = await scenario!();

        var answered = _calls.Answers.Where(a => a.OperationId == operationId).Select(a => a.Status).ToHashSet();
        Assert.All(expected, status => Assert.True(answered.Contains(status), $"{operationId} was expected to answer {status}; it answered {string.Join(", ", answered)}"));
    }

    /// <summary>A known path called with a method it does not serve: 405, its Allow header, and the document's problem schema.</summary>
    [Fact]
    public async Task A_known_path_called_with_another_method_answers_405_with_allow_and_a_problem_of_the_documents_schema()
    {
        using var request = backend.Request(HttpMethod.Put, $"api/schools/{School}", AdminRoles.Admin);
        using var response = await backend.Client.SendAsync(request);

        Assert.Equal(405, (int)response.StatusCode);
        Assert.Equal("GET", string.Join(",", response.Content.Headers.Allow));
        var problem = DescribedApi.Instance.Document.Components.Schemas["ProblemBody"];
        Assert.Empty(problem.Validate(await response.Content.ReadAsStringAsync()));
    }

    private Dictionary<string, Func<Task<int[]>>> Scenarios() => new(StringComparer.Ordinal)
    {
        ["EnrolDevice"] = EnrolDeviceAsync,
        ["GetEnrolmentStatus"] = GetEnrolmentStatusAsync,
        ["GetDevice"] = async () =>
        {
            var serial = await EnrolAsync(School);
            await Admin(HttpMethod.Get, $"api/devices/{serial}");
            await Admin(HttpMethod.Get, $"api/devices/{UnknownSerial}");
            await Admin(HttpMethod.Get, $"api/devices/{serial}", role: null);
            await Admin(HttpMethod.Get, $"api/devices/{serial}", role: "");
            return [200, 404, 401, 403];
        },
        ["RetryDevice"] = async () =>
        {
            var serial = await EnrolAsync(School);
            await Admin(HttpMethod.Post, $"api/devices/{serial}/retry", AdminRoles.Admin); // not failed: 409
            await Admin(HttpMethod.Post, $"api/devices/{UnknownSerial}/retry", AdminRoles.Admin);
            await Admin(HttpMethod.Post, $"api/devices/{serial}/retry", AdminRoles.Read);
            return [409, 404, 403];
        },
        ["MoveDevice"] = async () =>
        {
            var serial = await RegisteredAsync();
            await Admin(HttpMethod.Post, $"api/devices/{serial}/move", AdminRoles.Admin, Json(new JsonObject { ["schoolUai"] = OtherSchool }));
            await Admin(HttpMethod.Post, $"api/devices/{serial}/move", AdminRoles.Admin, Json(new JsonObject { ["school"] = OtherSchool }));
            await Admin(HttpMethod.Post, $"api/devices/{UnknownSerial}/move", AdminRoles.Admin, Json(new JsonObject { ["schoolUai"] = OtherSchool }));
            return [200, 400, 404];
        },
        ["DeregisterDevice"] = async () =>
        {
            var serial = await RegisteredAsync();
            await Admin(HttpMethod.Delete, $"api/devices/{serial}", AdminRoles.Admin);
            await Admin(HttpMethod.Delete, $"api/devices/{UnknownSerial}", AdminRoles.Admin);
            return [202, 404];
        },
        ["ApproveDevice"] = async () =>
        {
            var held = await EnrolAsync(School, bought: false);
            await Admin(HttpMethod.Post, $"api/devices/{held}/approve", AdminRoles.Admin);
            await Admin(HttpMethod.Post, $"api/devices/{held}/approve", AdminRoles.Admin); // no longer held: 409
            await Admin(HttpMethod.Post, $"api/devices/{UnknownSerial}/approve", AdminRoles.Admin);
            return [202, 409, 404];
        },
        ["ListSchools"] = async () =>
        {
            await Admin(HttpMethod.Get, "api/schools");
            await Admin(HttpMethod.Get, "api/schools", role: null);
            return [200, 401];
        },
        ["GetSchool"] = async () =>
        {
            await EnrolAsync(School);
            await Admin(HttpMethod.Get, $"api/schools/{School}");
            await Admin(HttpMethod.Get, $"api/schools/{NoSuchSchool}");
            return [200, 404];
        },
        ["GetTenantReadiness"] = async () =>
        {
            await Admin(HttpMethod.Get, "api/tenant/readiness");
            return [200];
        },
        ["ListSchoolDevices"] = async () =>
        {
            await RegisteredAsync();
            await Admin(HttpMethod.Get, $"api/schools/{School}/devices?pageSize=1");
            await Admin(HttpMethod.Get, $"api/schools/{School}/devices?status=registered");
            await Admin(HttpMethod.Get, $"api/schools/{School}/devices?format=autopilot-csv");
            await Admin(HttpMethod.Get, $"api/schools/{School}/devices?pageSize=0&status=lost");
            await Admin(HttpMethod.Get, $"api/schools/{NoSuchSchool}/devices");
            return [200, 400, 404];
        },
        ["RotateEnrolmentKey"] = async () =>
        {
            await Admin(HttpMethod.Post, $"api/schools/{KeySchool}/enrolment-keys", AdminRoles.Admin);
            await Admin(HttpMethod.Post, $"api/schools/{KeySchool}/enrolment-keys?format=zip&endpoint=https://enrolment.example.org", AdminRoles.Admin);
            await Admin(HttpMethod.Post, $"api/schools/{KeySchool}/enrolment-keys?format=pdf", AdminRoles.Admin);
            await Admin(HttpMethod.Post, $"api/schools/{NoSuchSchool}/enrolment-keys", AdminRoles.Admin);
            await Admin(HttpMethod.Post, $"api/schools/{KeySchool}/enrolment-keys", AdminRoles.Read);
            return [201, 400, 404, 403];
        },
        ["GetAuditEvents"] = async () =>
        {
            var serial = await EnrolAsync(School);
            await Admin(HttpMethod.Get, $"api/audit?serialNumber={serial}");
            await Admin(HttpMethod.Get, $"api/audit?schoolUai={School}&pageSize=1&from=2024-09-01T00:00:00Z");
            await Admin(HttpMethod.Get, $"api/audit?schoolUai={School}&pageSize=501");
            return [200, 400];
        },
        ["ListFundingReports"] = async () =>
        {
            await Admin(HttpMethod.Post, "api/reports/funding", AdminRoles.Admin);
            await Admin(HttpMethod.Get, "api/reports/funding");
            return [200];
        },
        ["BuildFundingReportNow"] = async () =>
        {
            await RegisteredAsync();
            await Admin(HttpMethod.Post, "api/reports/funding", AdminRoles.Admin);
            await Admin(HttpMethod.Post, "api/reports/funding?date=2001-01-01", AdminRoles.Admin);
            return [201, 400];
        },
        ["GetFundingReport"] = async () =>
        {
            await Admin(HttpMethod.Post, "api/reports/funding", AdminRoles.Admin);
            await Admin(HttpMethod.Get, "api/reports/funding/latest");
            await Admin(HttpMethod.Get, "api/reports/funding/latest?format=csv&view=purchases");
            await Admin(HttpMethod.Get, "api/reports/funding/latest?view=teachers");
            await Admin(HttpMethod.Get, "api/reports/funding/2024-09-01");
            return [200, 400, 404];
        },
        ["ImportManifest"] = async () =>
        {
            await Admin(HttpMethod.Post, "api/inventory/manifests?name=conformance.csv", AdminRoles.Admin, Csv(Manifests.ProgrammeHeader + "\n" + Line(Enroller.NewSerial("CF"), School) + "\nbad line,,,\n"));
            await Admin(HttpMethod.Post, "api/inventory/manifests", AdminRoles.Admin, Csv(Manifests.ProgrammeHeader + "\n"));
            await Admin(HttpMethod.Post, "api/inventory/manifests?name=x.json", AdminRoles.Admin, Json(new JsonObject()));
            return [201, 400, 415];
        },
        ["ListManifests"] = async () =>
        {
            await BuyAsync(Enroller.NewSerial("CF"));
            await Admin(HttpMethod.Get, "api/inventory/manifests");
            return [200];
        },
        ["ListInventory"] = async () =>
        {
            await BuyAsync(Enroller.NewSerial("CF"));
            await Admin(HttpMethod.Get, $"api/inventory?schoolUai={School}&pageSize=1");
            await Admin(HttpMethod.Get, "api/inventory?schoolUai=0720001A");
            return [200, 400];
        },
        ["SummariseInventory"] = async () =>
        {
            await Admin(HttpMethod.Get, "api/inventory/schools");
            return [200];
        },
        ["Health"] = async () =>
        {
            await _calls.SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/health"));
            return [200];
        },
        ["GetOpenApiDocument"] = async () =>
        {
            await _calls.SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/openapi.json"));
            return [200];
        },
        ["GetDashboard"] = async () =>
        {
            await _calls.SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/dashboard"));
            return [200];
        },
    };

    private async Task<int[]> EnrolDeviceAsync()
    {
        var key = await backend.Enroller.KeyAsync(School);
        var serial = Enroller.NewSerial("CF");
        await BuyAsync(serial);
        var body = Encoding.UTF8.GetBytes(Enroller.Body(serial, School).ToJsonString());
        await Device(body, key);                                    // 202, the device record
        await Device(body, key);                                    // 200, the status view
        await Device(Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("CF"), School, deviceType: "phone").ToJsonString()), key);
        await Device(body, new byte[32]);                           // 401, another key
        await Device(body, key, contentType: "text/plain");         // 415
        await Device(new byte[(64 * 1024) + 1], key);               // 413
        var elsewhere = Encoding.UTF8.GetBytes(Enroller.Body(serial, OtherSchool).ToJsonString());
        await Device(elsewhere, await backend.Enroller.KeyAsync(OtherSchool)); // 409
        return [202, 200, 400, 401, 415, 413, 409];
    }

    private async Task<int[]> GetEnrolmentStatusAsync()
    {
        var serial = await EnrolAsync(School);
        var key = await backend.Enroller.KeyAsync(School);
        await _calls.SendAsync(Status(serial, key));
        await _calls.SendAsync(Status(UnknownSerial, key));
        await _calls.SendAsync(Status(serial, new byte[32]));
        return [200, 404, 401];
    }

    private static HttpRequestMessage Status(string serial, byte[] key) => Enroller.StatusRequest(serial, School, key);

    private Task<(int Status, string Body, HttpResponseMessage Response)> Device(byte[] body, byte[] key, string contentType = "application/json") =>
        _calls.SendAsync(Enroller.EnrolmentRequest(body, key, contentType: contentType));

    private Task<(int Status, string Body, HttpResponseMessage Response)> Admin(HttpMethod method, string path, string? role = AdminRoles.Read, HttpContent? content = null) =>
        _calls.AdminAsync(method, path, role, content);

    /// <summary>A device of the school, bought first (the policy holds unknown serials) unless <paramref name="bought"/> is false.</summary>
    private async Task<string> EnrolAsync(string uai, bool bought = true)
    {
        var serial = Enroller.NewSerial("CF");
        if (bought)
        {
            await BuyAsync(serial);
        }

        using var response = await backend.Enroller.EnrolAsync(serial, uai);
        Assert.Equal(202, (int)response.StatusCode);
        return serial;
    }

    private async Task<string> RegisteredAsync()
    {
        var serial = await EnrolAsync(School);
        await backend.SettledAsync(serial);
        return serial;
    }

    private Task BuyAsync(string serial) => Manifests.ImportAsync(backend, Manifests.ProgrammeHeader + "\n" + Line(serial, School) + "\n");

    private static string Line(string serial, string uai) => $"{serial},{uai},laptop,HP,ProBook 440 G8,BC-CONF,F-CONF,612.50";

    private static ByteArrayContent Csv(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/csv; charset=utf-8");
        return content;
    }

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}
