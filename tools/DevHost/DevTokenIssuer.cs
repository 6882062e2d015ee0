using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sarthe.DevHost;

/// <summary>
/// A local OpenID issuer for development: its own RSA key (made at start, never stored), metadata and
/// JWKS, so the Functions code validates dev tokens exactly as it validates Entra ID tokens.
/// </summary>
public sealed class DevTokenIssuer : IDisposable
{
    public const string DefaultAudience = "api://sarthe-enrolment-dev";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;
    private readonly JsonWebTokenHandler _handler = new();

    /// <param name="address">Where its metadata and keys are served (http://localhost:port/dev).</param>
    /// <param name="audience">The audience of its tokens.</param>
    /// <param name="issuer">The issuer its metadata and tokens name; by default its address. Tests give an Entra ID one
    /// (https://login.microsoftonline.com/{tenant}/v2.0) to play Entra's token versions.</param>
    public DevTokenIssuer(string address, string audience = DefaultAudience, string? issuer = null)
    {
        Address = address;
        Issuer = issuer ?? address;
        Audience = audience;
        _key = new RsaSecurityKey(_rsa) { KeyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) };
    }

    public string Address { get; }

    public string Issuer { get; }

    public string Audience { get; }

    public string MetadataAddress => $"{Address}/.well-known/openid-configuration";

    public string JwksUri => $"{Address}/jwks";

    /// <summary>A signed access token; the optional overrides exist to test what validation rejects.</summary>
    public string CreateToken(
        IEnumerable<string> roles,
        string subject = "dev-administrator",
        TimeSpan? lifetime = null,
        string? issuer = null,
        string? audience = null,
        DateTime? notBefore = null)
    {
        var now = DateTime.UtcNow;
        var nbf = notBefore ?? now.AddSeconds(-5);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            IssuedAt = nbf,
            NotBefore = nbf,
            Expires = nbf + (lifetime ?? TimeSpan.FromHours(1)),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["oid"] = subject,
                ["roles"] = roles.ToArray(),
            },
        };
        return _handler.CreateToken(descriptor);
    }

    public object Metadata => new Dictionary<string, object>
    {
        ["issuer"] = Issuer,
        ["jwks_uri"] = JwksUri,
        ["token_endpoint"] = $"{Address}/token",
        ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        ["response_types_supported"] = new[] { "token" },
        ["subject_types_supported"] = new[] { "public" },
    };

    public object Jwks
    {
        get
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = _key.KeyId });
            return new { keys = new[] { new { kty = jwk.Kty, use = "sig", kid = jwk.Kid, alg = "RS256", n = jwk.N, e = jwk.E } } };
        }
    }

    public void Dispose() => _rsa.Dispose();
}
