using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>Every way a bearer token can be wrong, against a route that needs the Read role.</summary>
[Collection(BackendCollection.Name)]
public sealed class AdminAuthTests(BackendFixture backend)
{
    private const string Route = "api/schools";

    [Fact]
    public async Task No_token_is_401_with_bearer_challenge()
    {
        using var response = await backend.GetAsync(Route, role: null);

        await AssertUnauthorized(response);
    }

    [Fact]
    public async Task Expired_token_is_401() =>
        await AssertUnauthorized(await SendWithToken(backend.Host.Tokens.CreateToken(
            [AdminRoles.Admin], lifetime: TimeSpan.FromMinutes(10), notBefore: DateTime.UtcNow.AddHours(-1))));

    [Fact]
    public async Task Token_not_yet_valid_is_401() =>
        await AssertUnauthorized(await SendWithToken(backend.Host.Tokens.CreateToken(
            [AdminRoles.Admin], notBefore: DateTime.UtcNow.AddHours(1))));

    [Fact]
    public async Task Wrong_audience_is_401() =>
        await AssertUnauthorized(await SendWithToken(backend.Host.Tokens.CreateToken([AdminRoles.Admin], audience: "api://someone-else")));

    [Fact]
    public async Task Wrong_issuer_is_401() =>
        await AssertUnauthorized(await SendWithToken(backend.Host.Tokens.CreateToken([AdminRoles.Admin], issuer: "https://login.example.org/evil/v2.0")));

    [Fact]
    public async Task Token_signed_by_another_key_is_401()
    {
        // Same issuer and audience, but a key the issuer's JWKS does not publish.
        using var impostor = new DevTokenIssuer(backend.Host.Tokens.Issuer, backend.Host.Tokens.Audience);

        await AssertUnauthorized(await SendWithToken(impostor.CreateToken([AdminRoles.Admin])));
    }

    [Fact]
    public async Task Unsigned_token_is_401()
    {
        static string B64(string s) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(s));
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var token = $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"iss\":\"{backend.Host.Tokens.Issuer}\",\"aud\":\"{backend.Host.Tokens.Audience}\",\"exp\":{exp},\"roles\":[\"Enrolment.Admin\"]}}")}.";

        await AssertUnauthorized(await SendWithToken(token));
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    public async Task Garbage_token_is_401(string token) =>
        await AssertUnauthorized(await SendWithToken(token));

    [Fact]
    public async Task Valid_token_without_the_role_is_403()
    {
        using var response = await SendWithToken(backend.Host.Tokens.CreateToken(["Some.Other.Role"]));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Dev_token_endpoint_issues_tokens_the_functions_accept()
    {
        using var tokenResponse = await backend.Client.PostAsync("dev/token", new StringContent("{\"roles\":[\"Enrolment.Read\"]}", Encoding.UTF8, "application/json"));
        tokenResponse.EnsureSuccessStatusCode();
        var token = System.Text.Json.JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("accessToken").GetString()!;

        using var response = await SendWithToken(token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Dev_token_endpoint_rejects_a_body_without_roles()
    {
        using var response = await backend.Client.PostAsync("dev/token", new StringContent("{\"role\":1}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<HttpResponseMessage> SendWithToken(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Route);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await backend.Client.SendAsync(request);
    }

    private static async Task AssertUnauthorized(HttpResponseMessage response)
    {
        using (response)
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        }
    }
}
