using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sarthe.DevHost;

/// <summary>For the benchmarks: a key for each school, issued through the API as an administrator would.</summary>
public static class BenchmarkKeys
{
    /// <summary>The same, with an administrator's token from the dev host's own issuer (POST dev/token): for a dev host in another process.</summary>
    /// <param name="http">A client of the dev host (its base address the host's).</param>
    public static async Task<Dictionary<string, byte[]>> IssueAsync(HttpClient http, IEnumerable<string> schools, CancellationToken cancellationToken)
    {
        using var tokenResponse = await http.PostAsJsonAsync("dev/token", new DevIssuerEndpoints.TokenRequest(["Enrolment.Admin"], null), cancellationToken);
        tokenResponse.EnsureSuccessStatusCode();
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accessToken").GetString();
        return await IssueAsync(http, token!, schools, cancellationToken);
    }

    /// <param name="http">A client of the dev host (its base address the host's).</param>
    /// <param name="adminToken">A bearer token with the Enrolment.Admin role, from the dev host's issuer.</param>
    public static async Task<Dictionary<string, byte[]>> IssueAsync(HttpClient http, string adminToken, IEnumerable<string> schools, CancellationToken cancellationToken)
    {
        var keys = new Dictionary<string, byte[]>();
        foreach (var uai in schools)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/schools/{uai}/enrolment-keys");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            keys[uai] = Convert.FromBase64String((await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("key").GetString()!);
        }

        return keys;
    }
}
