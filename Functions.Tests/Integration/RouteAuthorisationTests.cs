using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// Every HTTP function of the [HttpTrigger] catalogue, through the dev host: who may call it is declared once,
/// and the declaration is what is enforced. A new route without a declaration, or whose code forgets to ask,
/// fails here. A backend of its own: the calls that pass authorisation do their work (a report build, say).
/// </summary>
public sealed partial class RouteAuthorisationTests(BackendFixture backend) : IClassFixture<BackendFixture>
{
    private static readonly IReadOnlyList<HttpFunctionRoute> Routes = HttpFunctionCatalog.Discover(typeof(EnrolmentServiceCollectionExtensions).Assembly);

    public static TheoryData<string> AdminRoutes() => Names(r => Access(r) is RequiresRoleAttribute);

    public static TheoryData<string> AllRoutes() => Names(_ => true);

    [Theory]
    [MemberData(nameof(AllRoutes))]
    public void Every_route_declares_exactly_one_kind_of_caller(string name)
    {
        var route = Routes.Single(r => r.Name == name);

        Assert.Single(route.Method.GetCustomAttributes<RouteAccessAttribute>());
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task An_admin_route_refuses_anonymous_callers_with_401(string name)
    {
        using var response = await SendAsync(name, roles: null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task An_admin_route_refuses_a_valid_token_without_its_role_with_403(string name)
    {
        var role = ((RequiresRoleAttribute)Access(Route(name))!).Role;
        // A token holding only what does not grant the route: nothing at all for Read routes, Read for Admin routes.
        string[] insufficient = role == AdminRoles.Admin ? [AdminRoles.Read] : ["Some.Other.Role"];

        using var response = await SendAsync(name, insufficient);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task An_admin_route_lets_its_role_through(string name)
    {
        var role = ((RequiresRoleAttribute)Access(Route(name))!).Role;

        using var response = await SendAsync(name, [role]);

        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.True((int)response.StatusCode < 500, $"{name}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Device_routes_refuse_unsigned_requests_with_401()
    {
        var signed = Routes.Where(r => Access(r) is SignedByDeviceAttribute).ToList();
        Assert.NotEmpty(signed);
        foreach (var route in signed)
        {
            using var request = new HttpRequestMessage(new HttpMethod(route.Verbs[0]), Path(route))
            {
                Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
            };
            using var response = await backend.Client.SendAsync(request);

            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task Anonymous_routes_answer_without_credentials()
    {
        foreach (var route in Routes.Where(r => Access(r) is AnonymousAttribute && !r.Route.Contains('*')))
        {
            using var response = await backend.Client.GetAsync(Path(route));

            Assert.True(response.IsSuccessStatusCode, $"{route.Name}: {(int)response.StatusCode}");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string name, string[]? roles)
    {
        var route = Route(name);
        using var request = new HttpRequestMessage(new HttpMethod(route.Verbs[0]), Path(route));
        if (roles is not null)
        {
            request.Headers.Authorization = new("Bearer", backend.Host.Tokens.CreateToken(roles));
        }

        return await backend.Client.SendAsync(request);
    }

    /// <summary>The route with sample values: ids that name nothing (a 404 proves authorisation passed, and changes nothing).</summary>
    private static string Path(HttpFunctionRoute route) => "api/" + RouteParameter().Replace(route.Route, match => match.Groups[1].Value switch
    {
        "uai" => "0000000A",
        "serialNumber" => "NO-SUCH-DEVICE",
        "reportDate" => "latest",
        "file" => "dashboard.css",
        _ => "sample",
    });

    private static HttpFunctionRoute Route(string name) => Routes.Single(r => r.Name == name);

    private static RouteAccessAttribute? Access(HttpFunctionRoute route) => route.Method.GetCustomAttribute<RouteAccessAttribute>();

    private static TheoryData<string> Names(Func<HttpFunctionRoute, bool> which) => new(Routes.Where(which).Select(r => r.Name).Order());

    [GeneratedRegex(@"\{\*?(\w+)\}")]
    private static partial Regex RouteParameter();
}
