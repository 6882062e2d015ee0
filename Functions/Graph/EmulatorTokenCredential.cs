using System.Text;
using System.Text.Json;
using Azure.Core;

namespace Sarthe.Enrolment.Graph;

/// <summary>
/// Local development only: an unsigned app-only token naming <paramref name="appId"/>, which the Graph
/// emulator uses to keep per-app throttling budgets. Real Graph rejects it, so it cannot leak into Azure.
/// </summary>
public sealed class EmulatorTokenCredential(string appId) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        var header = Encode(new { alg = "none", typ = "JWT" });
        var payload = Encode(new { appid = appId, aud = "https://graph.microsoft.com", exp = expires.ToUnixTimeSeconds(), roles = new[] { "DeviceManagementServiceConfig.ReadWrite.All" } });
        return new AccessToken($"{header}.{payload}.", expires);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));

    private static string Encode(object value) =>
        System.Buffers.Text.Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));
}
