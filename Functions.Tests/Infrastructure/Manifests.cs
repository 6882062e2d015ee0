using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Sarthe.Enrolment.Auth;

namespace Sarthe.Enrolment.Tests.Infrastructure;

/// <summary>Posts manifests as an administrator's script would, and writes them as resellers and spreadsheets do.</summary>
public static class Manifests
{
    public const string ProgrammeHeader = "serialNumber,schoolUai,deviceType,manufacturer,model,purchaseOrder,invoiceNumber,unitCostEur";

    public static async Task<HttpResponseMessage> PostAsync(BackendFixture backend, string csv, string name = "manifest.csv", string query = "", bool bom = false, string role = AdminRoles.Admin, string contentType = "text/csv; charset=utf-8")
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        var request = backend.Request(HttpMethod.Post, $"api/inventory/manifests?name={Uri.EscapeDataString(name)}{query}", role);
        request.Content = new ByteArrayContent(bom ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await backend.Client.SendAsync(request);
    }

    /// <summary>Imports a file that must be accepted whole; returns the import's answer.</summary>
    public static async Task<JsonElement> ImportAsync(BackendFixture backend, string csv, string name = "manifest.csv", string query = "", bool bom = false)
    {
        using var response = await PostAsync(backend, csv, name, query, bom);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>The inventory of a school, every page.</summary>
    public static async Task<List<JsonElement>> InventoryAsync(BackendFixture backend, string query)
    {
        var items = new List<JsonElement>();
        string? token = null;
        do
        {
            var page = await backend.GetJsonAsync<JsonElement>($"api/inventory?{query}&pageSize=500{(token is null ? "" : "&continuationToken=" + token)}");
            items.AddRange(page.GetProperty("items").EnumerateArray());
            token = page.TryGetProperty("continuationToken", out var next) ? next.GetString() : null;
        }
        while (token is not null);
        return items;
    }

    public static string Hash(string serial) => Convert.ToBase64String(Enroller.HashOf(serial));
}
