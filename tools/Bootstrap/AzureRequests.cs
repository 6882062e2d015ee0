using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;

namespace Sarthe.Bootstrap;

/// <summary>One signed request to Resource Manager or Key Vault (a token for the scope, an optional JSON body), and the one way a failure is told.</summary>
internal sealed class AzureRequests(HttpClient http, TokenCredential credential)
{
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, string scope, JsonObject? body, CancellationToken cancellationToken)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken);
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request, cancellationToken);
    }

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"Could not {what}: {(int)response.StatusCode} {detail[..Math.Min(detail.Length, 300)]}");
        }
    }
}
