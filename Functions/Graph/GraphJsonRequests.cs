using System.Text.Json;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

namespace Sarthe.Enrolment.Graph;

/// <summary>
/// A Graph request the v1.0 SDK has no builder for (beta resources), sent through the same client: its authentication,
/// retry handler and budget. Errors throw <see cref="ODataError"/> as the SDK's own calls do.
/// </summary>
public static class GraphJsonRequests
{
    private static readonly Dictionary<string, ParsableFactory<IParsable>> ErrorMapping = new() { ["XXX"] = ODataError.CreateFromDiscriminatorValue };

    /// <summary>Sends <paramref name="body"/> (serialised as Graph expects: camelCase) and returns the answer's JSON, or null for 204.</summary>
    public static async Task<JsonElement?> SendJsonAsync(this GraphServiceClient graph, Method method, string url, object? body, CancellationToken cancellationToken)
    {
        var request = new RequestInformation { HttpMethod = method, URI = new Uri(url) };
        request.Headers.Add("Accept", "application/json");
        if (body is not null)
        {
            request.SetStreamContent(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(body, JsonSerializerOptions.Web)), "application/json");
        }

        await using var stream = await graph.RequestAdapter.SendPrimitiveAsync<Stream>(request, ErrorMapping, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        return document.RootElement.Clone();
    }

    /// <summary>Every item of a collection, following <c>@odata.nextLink</c>.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ListJsonAsync(this GraphServiceClient graph, string url, CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        for (string? next = url; next is not null;)
        {
            var page = await graph.SendJsonAsync(Method.GET, next, null, cancellationToken);
            if (page is not { } json)
            {
                break;
            }

            if (json.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
            {
                items.AddRange(value.EnumerateArray());
            }

            next = json.TryGetProperty("@odata.nextLink", out var link) ? link.GetString() : null;
        }

        return items;
    }

    /// <summary>A string property of a Graph JSON object, or null.</summary>
    public static string? Text(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
