using System.Collections.Concurrent;
using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Auth;

/// <summary>
/// Validates Entra ID (or dev issuer) bearer tokens and the route's role inside the function call itself, so the
/// Functions worker and the dev host run the same check. The role is the one the function declares with
/// <see cref="RequiresRoleAttribute"/>: an admin function's body is <c>admins.RunAsync(ThisFunction, request, (administrator, ct) =&gt; …, cancellationToken)</c>, which names the function method itself.
/// </summary>
public sealed partial class AdminAuthenticator
{
    private const string RolesClaim = "roles";
    private readonly AdminAuthOptions _options;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _metadata;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly ILogger<AdminAuthenticator> _logger;

    private readonly StorageGuard storage;

    public AdminAuthenticator(IOptions<AdminAuthOptions> options, IHttpClientFactory httpClientFactory, StorageGuard storage, ILogger<AdminAuthenticator> logger)
    {
        this.storage = storage;
        _options = options.Value;
        _logger = logger;
        var retriever = new HttpDocumentRetriever(httpClientFactory.CreateClient(nameof(AdminAuthenticator)))
        {
            RequireHttps = _options.RequireHttpsMetadata,
        };
        _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            _options.MetadataAddress, new OpenIdConnectConfigurationRetriever(), retriever);
    }

    private static readonly ConcurrentDictionary<MethodInfo, string> RolesByFunction = new();

    /// <summary>
    /// Runs <paramref name="handle"/> for the caller of <paramref name="function"/> (the function method itself, named as
    /// a method group: <c>admins.RunAsync(ListSchools, request, …)</c>) when the caller holds the role that method
    /// declares with <see cref="RequiresRoleAttribute"/>; otherwise answers 401, 403 (or 503 when the issuer's metadata
    /// cannot be read) without running it. The handler gets a token that ends at the request's storage deadline
    /// (<see cref="StorageGuard"/>): storage failing or silent is a 503, not a hang.
    /// </summary>
    public Task<IActionResult> RunAsync(
        Delegate function, HttpRequest request, Func<Administrator, CancellationToken, Task<ApiResult>> handle, CancellationToken cancellationToken) =>
        RunAsync(function, request, null, handle, cancellationToken);

    /// <summary>The same, for a route whose work is long by nature: its handler's token ends at <paramref name="deadline"/> instead.</summary>
    public async Task<IActionResult> RunAsync(
        Delegate function, HttpRequest request, TimeSpan? deadline, Func<Administrator, CancellationToken, Task<ApiResult>> handle, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(request, RoleOf(function.Method), cancellationToken);
        return access.Denied ?? await storage.RunAsync(async ct => await handle(access.Administrator!, ct), cancellationToken, deadline);
    }

    /// <summary>The role a function method declares (its own attribute, read once); a method without <see cref="RequiresRoleAttribute"/> is a programming error.</summary>
    public static string RoleOf(MethodInfo function) =>
        RolesByFunction.GetOrAdd(function, method =>
            method.GetCustomAttribute<RequiresRoleAttribute>()?.Role
            ?? throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name} asks for an administrator but declares no [RequiresRole]."));

    private async Task<AdminAccess> AuthorizeAsync(HttpRequest request, string requiredRole, CancellationToken cancellationToken)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return Fail(Problem.Unauthorized("A bearer token is required."));
        }

        var token = header[7..].Trim();
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await _metadata.GetConfigurationAsync(cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            _logger.LogError(ex, "Token issuer metadata at {MetadataAddress} could not be read", _options.MetadataAddress);
            return Fail(Problem.ServiceUnavailable("Token validation is unavailable right now."));
        }

        var result = await ValidateAsync(token, configuration);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The issuer may have rolled its keys since the metadata was cached.
            _metadata.RequestRefresh();
            configuration = await _metadata.GetConfigurationAsync(cancellationToken);
            result = await ValidateAsync(token, configuration);
        }

        if (!result.IsValid)
        {
            _logger.LogInformation("Rejected admin token: {Reason}", result.Exception?.GetType().Name);
            return Fail(Problem.Unauthorized("The bearer token is invalid or expired.", "invalid_token"));
        }

        var identity = result.ClaimsIdentity;
        var roles = identity.FindAll(RolesClaim).Select(c => c.Value).ToArray();
        if (!AdminRoles.Grants(roles, requiredRole))
        {
            return Fail(Problem.Forbidden($"This operation requires the {requiredRole} role."));
        }

        var id = FirstClaim(identity, "oid", "sub", "azp", "appid") ?? "unknown";
        return new AdminAccess(new Administrator(id, roles), null);
    }

    private Task<TokenValidationResult> ValidateAsync(string token, OpenIdConnectConfiguration configuration) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuers = ValidIssuers(configuration.Issuer),
            ValidAudiences = new[] { _options.Audience, _options.ClientId }.Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a!),
            IssuerSigningKeys = configuration.SigningKeys,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromMinutes(2),
        });

    /// <summary>
    /// The configured issuer, or the metadata's; with Entra ID's v2 issuer of a tenant, also that tenant's v1 issuer
    /// (learn.microsoft.com/entra/identity-platform/access-tokens: v1 tokens name https://sts.windows.net/{tenant}/).
    /// </summary>
    private IEnumerable<string> ValidIssuers(string metadataIssuer)
    {
        var issuer = string.IsNullOrWhiteSpace(_options.Issuer) ? metadataIssuer : _options.Issuer;
        yield return issuer;
        if (EntraV2Issuer().Match(issuer) is { Success: true } entra)
        {
            yield return $"https://sts.windows.net/{entra.Groups["tenant"].Value}/";
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^https://login\.microsoftonline\.com/(?<tenant>[0-9a-fA-F-]{36})/v2\.0/?$")]
    private static partial System.Text.RegularExpressions.Regex EntraV2Issuer();

    private static string? FirstClaim(ClaimsIdentity identity, params string[] types) =>
        types.Select(type => identity.FindFirst(type)?.Value).FirstOrDefault(value => !string.IsNullOrEmpty(value));

    private static AdminAccess Fail(ApiResult denied) => new(null, denied);
}
