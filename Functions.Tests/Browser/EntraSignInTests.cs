using System.Text;
using System.Text.Json;
using System.Web;
using Microsoft.Playwright;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using static Microsoft.Playwright.Assertions;

namespace Sarthe.Enrolment.Tests.Browser;

/// <summary>
/// The dashboard configured for Microsoft Entra ID, as in Azure: the real MSAL for browsers runs the
/// authorization-code + PKCE redirect flow. There is no Entra ID here, so the browser's requests to
/// login.microsoftonline.com are answered by <see cref="FakeEntra"/> (a stand-in, said so): it checks what MSAL
/// sends and returns an access token from the dev host's issuer, which the API validates like an Entra token.
/// </summary>
public sealed class EntraBrowserFixture : BrowserFixture
{
    public const string Tenant = "5f8c6a2e-2d0b-4f59-9a57-0c1f3a6d7e11";
    public const string ClientId = "0b7d3c9e-8a41-4c55-b1a2-6f0e9d8c7b6a";
    public const string Scope = "api://sarthe-enrolment/.default";
    public const string Authority = $"https://login.microsoftonline.com/{Tenant}";

    protected override void Configure(DevHostOptions options)
    {
        base.Configure(options);
        options.Settings["Dashboard:ClientId"] = ClientId;
        options.Settings["Dashboard:Authority"] = Authority;
        options.Settings["Dashboard:Scope"] = Scope;
    }
}

[CollectionDefinition(Name)]
public sealed class EntraBrowserCollection : ICollectionFixture<EntraBrowserFixture>
{
    public const string Name = "browser-entra";
}

[Collection(EntraBrowserCollection.Name)]
public sealed class EntraSignInTests(EntraBrowserFixture backend)
{
    [BrowserFact]
    public async Task Msal_signs_in_with_authorization_code_and_pkce_and_the_api_accepts_the_token()
    {
        await using var dashboard = await backend.OpenDashboardAsync();
        var entra = new FakeEntra(backend.Token(AdminRoles.Admin));
        await dashboard.Context.RouteAsync("https://login.microsoftonline.com/**", entra.HandleAsync);
        await dashboard.Page.ReloadAsync();

        await Expect(dashboard.TestId("sign-in-entra")).ToBeVisibleAsync();
        await Expect(dashboard.TestId("dev-sign-in-admin")).ToBeHiddenAsync();
        await dashboard.TestId("sign-in-entra").ClickAsync();

        // Back on the dashboard, signed in, the API answering with the token MSAL obtained.
        await Expect(dashboard.Page.GetByTestId("school-row")).ToHaveCountAsync(56);
        await Expect(dashboard.TestId("who")).ToContainTextAsync("Camille Martin");
        await Expect(dashboard.TestId("who")).ToContainTextAsync("administrator");

        var authorize = HttpUtility.ParseQueryString(entra.AuthorizeRequest!.Query);
        Assert.Equal(EntraBrowserFixture.ClientId, authorize["client_id"]);
        Assert.Equal("code", authorize["response_type"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(authorize["code_challenge"]));
        Assert.Contains(EntraBrowserFixture.Scope, authorize["scope"]!.Split(' '));
        Assert.Equal($"{backend.Host.BaseUrl}api/dashboard", authorize["redirect_uri"]);
        var token = HttpUtility.ParseQueryString(entra.TokenRequestBody!);
        Assert.Equal("authorization_code", token["grant_type"]);
        Assert.Equal(FakeEntra.Code, token["code"]);
        Assert.False(string.IsNullOrEmpty(token["code_verifier"]));
        Assert.Empty(dashboard.Errors); // MSAL ran under the page's Content-Security-Policy
    }

    /// <summary>Answers MSAL's requests to login.microsoftonline.com the way Entra ID does, for one sign-in.</summary>
    private sealed class FakeEntra(string accessToken)
    {
        public const string Code = "fake-authorization-code";
        private const string ObjectId = "7c1e2f3a-0000-4000-8000-000000000042";
        private string? _nonce;

        public Uri? AuthorizeRequest { get; private set; }

        public string? TokenRequestBody { get; private set; }

        private static readonly Dictionary<string, string> Cors = new()
        {
            ["Access-Control-Allow-Origin"] = "*",
            ["Access-Control-Allow-Headers"] = "*",
            ["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS",
        };

        public async Task HandleAsync(IRoute route)
        {
            var request = route.Request;
            var url = new Uri(request.Url);
            const string tenantRoot = $"https://login.microsoftonline.com/{EntraBrowserFixture.Tenant}";
            if (request.Method == "OPTIONS")
            {
                await route.FulfillAsync(new RouteFulfillOptions { Status = 204, Headers = Cors });
            }
            else if (url.AbsolutePath.EndsWith("/discovery/instance", StringComparison.Ordinal))
            {
                await JsonAsync(route, new
                {
                    tenant_discovery_endpoint = $"{tenantRoot}/v2.0/.well-known/openid-configuration",
                    api_version = "1.1",
                    metadata = new[] { new { preferred_network = "login.microsoftonline.com", preferred_cache = "login.windows.net", aliases = new[] { "login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net" } } },
                });
            }
            else if (url.AbsolutePath.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal))
            {
                await JsonAsync(route, new
                {
                    token_endpoint = $"{tenantRoot}/oauth2/v2.0/token",
                    authorization_endpoint = $"{tenantRoot}/oauth2/v2.0/authorize",
                    end_session_endpoint = $"{tenantRoot}/oauth2/v2.0/logout",
                    issuer = $"{tenantRoot}/v2.0",
                    jwks_uri = $"{tenantRoot}/discovery/v2.0/keys",
                    response_modes_supported = new[] { "query", "fragment", "form_post" },
                    response_types_supported = new[] { "code", "id_token", "code id_token", "id_token token" },
                    scopes_supported = new[] { "openid", "profile", "email", "offline_access" },
                    subject_types_supported = new[] { "pairwise" },
                    id_token_signing_alg_values_supported = new[] { "RS256" },
                    code_challenge_methods_supported = new[] { "plain", "S256" },
                });
            }
            else if (url.AbsolutePath.EndsWith("/oauth2/v2.0/authorize", StringComparison.Ordinal))
            {
                AuthorizeRequest = url;
                var query = HttpUtility.ParseQueryString(url.Query);
                _nonce = query["nonce"];
                var separator = query["response_mode"] == "query" ? "?" : "#";
                var location = $"{query["redirect_uri"]}{separator}code={Code}&state={Uri.EscapeDataString(query["state"]!)}&client_info={ClientInfo()}";
                await route.FulfillAsync(new RouteFulfillOptions { Status = 302, Headers = new Dictionary<string, string> { ["Location"] = location } });
            }
            else if (url.AbsolutePath.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal))
            {
                TokenRequestBody = request.PostData;
                await JsonAsync(route, new
                {
                    token_type = "Bearer",
                    scope = EntraBrowserFixture.Scope,
                    expires_in = 3600,
                    ext_expires_in = 3600,
                    access_token = accessToken,
                    id_token = IdToken(),
                    client_info = ClientInfo(),
                });
            }
            else
            {
                await route.FulfillAsync(new RouteFulfillOptions { Status = 404, Headers = Cors, Body = $"not faked: {url}" });
            }
        }

        private static async Task JsonAsync(IRoute route, object body) =>
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, Headers = Cors, ContentType = "application/json", Body = JsonSerializer.Serialize(body) });

        private static string ClientInfo() => Base64Url(JsonSerializer.Serialize(new { uid = ObjectId, utid = EntraBrowserFixture.Tenant }));

        // MSAL reads the ID token's claims (and checks the nonce); signature validation is the server's job.
        private string IdToken()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var header = Base64Url("""{"alg":"RS256","typ":"JWT","kid":"fake"}""");
            var payload = Base64Url(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["aud"] = EntraBrowserFixture.ClientId,
                ["iss"] = $"https://login.microsoftonline.com/{EntraBrowserFixture.Tenant}/v2.0",
                ["iat"] = now,
                ["nbf"] = now,
                ["exp"] = now + 3600,
                ["name"] = "Camille Martin",
                ["preferred_username"] = "camille.martin@sarthe.example",
                ["oid"] = ObjectId,
                ["sub"] = "camille",
                ["tid"] = EntraBrowserFixture.Tenant,
                ["nonce"] = _nonce,
                ["ver"] = "2.0",
            }));
            return $"{header}.{payload}.{Base64Url("not-a-signature")}";
        }

        private static string Base64Url(string text) =>
            System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
    }
}
