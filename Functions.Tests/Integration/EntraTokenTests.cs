using System.Net;
using System.Net.Http.Headers;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// A backend whose token issuer plays Entra ID for one tenant: its metadata names the tenant's v2 issuer, as
/// https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration does, and the API's
/// registration has both an application ID URI and a client id.
/// </summary>
public sealed class EntraTenantFixture : BackendFixture
{
    public const string Tenant = "3f2c9d4e-8a1b-4c7d-9e0f-1a2b3c4d5e6f";
    public const string ClientId = "7c1e5a9b-2d3f-4a6c-8b0e-9f1d2c3b4a5e";

    protected override void Configure(DevHostOptions options)
    {
        options.TokenIssuer = $"https://login.microsoftonline.com/{Tenant}/v2.0";
        options.Settings["AdminAuth:ClientId"] = ClientId;
        // As the sample and Bicep leave them: blank means unset, not "an issuer named ''".
        options.Settings["AdminAuth:Issuer"] = "";
    }
}

/// <summary>
/// Entra ID issues v1 access tokens unless the API's registration asks for v2 (requestedAccessTokenVersion): v1 name
/// the issuer https://sts.windows.net/{tenant}/ and, as audience, the application ID URI; v2 name
/// https://login.microsoftonline.com/{tenant}/v2.0 and the client id (learn.microsoft.com/entra/identity-platform/access-tokens).
/// An administrator signs in with either; a token of another tenant is refused.
/// </summary>
public sealed class EntraTokenTests(EntraTenantFixture backend) : IClassFixture<EntraTenantFixture>
{
    private const string V1Issuer = $"https://sts.windows.net/{EntraTenantFixture.Tenant}/";
    private const string V2Issuer = $"https://login.microsoftonline.com/{EntraTenantFixture.Tenant}/v2.0";

    [Theory]
    [InlineData(V2Issuer, EntraTenantFixture.ClientId)]
    [InlineData(V2Issuer, DevTokenIssuer.DefaultAudience)]
    [InlineData(V1Issuer, DevTokenIssuer.DefaultAudience)]
    [InlineData(V1Issuer, EntraTenantFixture.ClientId)]
    public async Task Tokens_of_both_versions_for_the_tenant_are_accepted(string issuer, string audience)
    {
        using var response = await SendAsync(backend.Host.Tokens.CreateToken([AdminRoles.Read], issuer: issuer, audience: audience));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("https://sts.windows.net/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/", DevTokenIssuer.DefaultAudience)]
    [InlineData("https://login.microsoftonline.com/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/v2.0", EntraTenantFixture.ClientId)]
    [InlineData(V2Issuer, "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e")]
    [InlineData(V1Issuer, "api://another-api")]
    public async Task A_token_of_another_tenant_or_for_another_api_is_refused(string issuer, string audience)
    {
        using var response = await SendAsync(backend.Host.Tokens.CreateToken([AdminRoles.Admin], issuer: issuer, audience: audience));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    private async Task<HttpResponseMessage> SendAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/schools");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await backend.Client.SendAsync(request);
    }
}
