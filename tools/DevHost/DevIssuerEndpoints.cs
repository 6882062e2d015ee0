using System.Text.Json;
using Sarthe.Enrolment.Http;

namespace Sarthe.DevHost;

/// <summary>Dev host only (never in the Functions app): OpenID metadata, JWKS and a token endpoint.</summary>
public static class DevIssuerEndpoints
{
    public sealed record TokenRequest(string[]? Roles, string? Subject);

    public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

    public static void MapDevIssuer(this IEndpointRouteBuilder endpoints, DevTokenIssuer tokens)
    {
        endpoints.MapGet("/dev/.well-known/openid-configuration", () => Results.Json(tokens.Metadata));
        endpoints.MapGet("/dev/jwks", () => Results.Json(tokens.Jwks));
        endpoints.MapPost("/dev/token", async (HttpRequest request) =>
        {
            TokenRequest? body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<TokenRequest>(request.Body, ApiJson.Options);
            }
            catch (JsonException)
            {
                body = null;
            }

            if (body?.Roles is null)
            {
                return Results.Problem(statusCode: 400, title: "Invalid request", detail: "Body must be {\"roles\":[\"Enrolment.Read\" | \"Enrolment.Admin\", ...]}.");
            }

            var token = tokens.CreateToken(body.Roles, body.Subject ?? "dev-administrator");
            return Results.Json(new TokenResponse(token, "Bearer", 3600), ApiJson.Options);
        });
    }
}
