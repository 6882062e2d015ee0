using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sarthe.GraphEmulator;

/// <summary>
/// The Graph v1.0 subset the product calls, answered with Graph's own JSON shapes
/// (<c>@odata.context</c>, <c>@odata.nextLink</c>, the error body), Intune-like throttling and faults.
/// </summary>
public static partial class GraphEmulatorApp
{
    private const string Imported = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
    private const string Registered = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Maps the emulator's routes onto <paramref name="app"/>.</summary>
    public static void MapGraphEmulator(this WebApplication app, GraphEmulatorState state)
    {
        app.Use((context, next) => GuardAsync(context, next, state));

        app.MapGet("/_emulator/counters", () => Results.Json(state.Counters, Json));
        app.MapPost("/_emulator/owned-elsewhere", async (HttpRequest request) =>
        {
            var serials = await JsonSerializer.DeserializeAsync<string[]>(request.Body, Json) ?? [];
            state.OwnElsewhere(serials);
            return Results.NoContent();
        });

        app.MapPost(Imported, async (HttpContext context) =>
        {
            var identity = await ReadBodyAsync<ImportedIdentity>(context);
            if (identity is null)
            {
                return Error(400, "BadRequest", "Write request body is not valid.");
            }

            var created = state.Import([identity])[0];
            return Results.Json(WithContext(context, created, "deviceManagement/importedWindowsAutopilotDeviceIdentities/$entity"), Json, statusCode: 201);
        });

        app.MapPost(Imported + "/import", async (HttpContext context) =>
        {
            var request = await ReadBodyAsync<ImportRequest>(context);
            var identities = request?.ImportedWindowsAutopilotDeviceIdentities;
            if (identities is null || identities.Count == 0)
            {
                return Error(400, "BadRequest", "importedWindowsAutopilotDeviceIdentities is required.");
            }

            if (identities.Count > state.Options.MaxImportBatch)
            {
                return Error(400, "BadRequest", $"At most {state.Options.MaxImportBatch} identities can be imported at once.");
            }

            var created = state.Import(identities);
            return Results.Json(new Dictionary<string, object>
            {
                ["@odata.context"] = ContextUrl(context, "Collection(microsoft.graph.importedWindowsAutopilotDeviceIdentity)"),
                ["value"] = created,
            }, Json);
        });

        app.MapGet(Imported, (HttpContext context) => List(context, "deviceManagement/importedWindowsAutopilotDeviceIdentities", ["serialNumber", "importId"], state.ListImported));
        app.MapGet(Imported + "/{id}", (HttpContext context, string id) => state.GetImported(id) is { } identity
            ? Results.Json(WithContext(context, identity, "deviceManagement/importedWindowsAutopilotDeviceIdentities/$entity"), Json)
            : NotFound(id));
        app.MapDelete(Imported + "/{id}", (string id) => state.DeleteImported(id) ? Results.NoContent() : NotFound(id));

        app.MapGet(Registered, (HttpContext context) => List(context, "deviceManagement/windowsAutopilotDeviceIdentities", ["serialNumber"], state.ListRegistered));
        app.MapGet(Registered + "/{id}", (HttpContext context, string id) => state.GetRegistered(id) is { } device
            ? Results.Json(WithContext(context, device, "deviceManagement/windowsAutopilotDeviceIdentities/$entity"), Json)
            : NotFound(id));

        app.MapFallback(() => Error(400, "BadRequest", "Resource not found for the segment."));
    }

    /// <summary>Bearer token, latency, faults and throttling, in that order, before any route runs.</summary>
    private static async Task GuardAsync(HttpContext context, Func<Task> next, GraphEmulatorState state)
    {
        if (context.Request.Path.StartsWithSegments("/_emulator"))
        {
            await next();
            return;
        }

        var appId = AppIdFromBearer(context.Request.Headers.Authorization.ToString());
        if (appId is null)
        {
            await Error(401, "InvalidAuthenticationToken", "Access token is empty.").ExecuteAsync(context);
            return;
        }

        var options = state.Options;
        if (options.AddedLatency > TimeSpan.Zero)
        {
            await Task.Delay(options.AddedLatency, context.RequestAborted);
        }

        if (state.RollFault() is { } faultStatus)
        {
            await Error(faultStatus, faultStatus == 503 ? "ServiceUnavailable" : "GatewayTimeout", "The service is temporarily unavailable.").ExecuteAsync(context);
            return;
        }

        var isWrite = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
        if (state.Admit(appId, isWrite) is { } wait)
        {
            if (options.SendRetryAfter)
            {
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            await Error(429, "TooManyRequests", "Too many requests. Please try again later.").ExecuteAsync(context);
            return;
        }

        await next();
    }

    private static IResult List<T>(HttpContext context, string entitySet, string[] filterable, Func<int, int, (string Property, string Value)?, (IReadOnlyList<T> Page, int? Next)> list)
    {
        var query = context.Request.Query;
        var top = int.TryParse(query["$top"], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? Math.Clamp(t, 1, 999) : int.MaxValue;
        var options = context.RequestServices.GetRequiredService<GraphEmulatorState>().Options;
        top = Math.Min(top, options.MaxPageSize);
        var skip = DecodeSkipToken(query["$skiptoken"]);
        if (skip is null)
        {
            return Error(400, "BadRequest", "The $skiptoken is invalid.");
        }

        (string Property, string Value)? contains = null;
        var filter = query["$filter"].ToString();
        if (filter.Length > 0)
        {
            // Like Intune: eq is not supported, contains() on a few properties is.
            var match = ContainsFilter().Match(filter);
            if (!match.Success || !filterable.Contains(match.Groups[1].Value, StringComparer.OrdinalIgnoreCase))
            {
                return Error(400, "BadRequest", $"Only contains({string.Join("|", filterable)},'...') filters are supported.");
            }

            contains = (match.Groups[1].Value, match.Groups[2].Value);
        }

        var (page, next) = list(skip.Value, top, contains);
        var body = new Dictionary<string, object?> { ["@odata.context"] = ContextUrl(context, entitySet) };
        if (next is { } nextSkip)
        {
            var nextQuery = new Dictionary<string, string?> { ["$top"] = query["$top"].ToString() is { Length: > 0 } q ? q : null, ["$skiptoken"] = EncodeSkipToken(nextSkip) };
            if (filter.Length > 0)
            {
                nextQuery["$filter"] = filter;
            }

            body["@odata.nextLink"] = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(
                $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}", nextQuery.Where(kv => kv.Value is not null));
        }

        body["value"] = page;
        return Results.Json(body, Json);
    }

    private static Dictionary<string, object?> WithContext<T>(HttpContext context, T entity, string contextPath)
    {
        var element = JsonSerializer.SerializeToElement(entity, Json);
        var body = new Dictionary<string, object?> { ["@odata.context"] = ContextUrl(context, contextPath) };
        foreach (var property in element.EnumerateObject())
        {
            body[property.Name] = property.Value;
        }

        return body;
    }

    private static string ContextUrl(HttpContext context, string path) =>
        $"{context.Request.Scheme}://{context.Request.Host}/v1.0/$metadata#{path}";

    private static async Task<T?> ReadBodyAsync<T>(HttpContext context)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Json, context.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult NotFound(string id) =>
        Error(404, "ResourceNotFound", $"No resource with id '{id}'.");

    /// <summary>Graph's error body: {"error":{"code","message","innerError":{date,request-id,client-request-id}}}.</summary>
    public static IResult Error(int status, string code, string message)
    {
        var requestId = Guid.NewGuid().ToString();
        return Results.Json(new
        {
            error = new
            {
                code,
                message,
                innerError = new Dictionary<string, string>
                {
                    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
                    ["request-id"] = requestId,
                    ["client-request-id"] = requestId,
                },
            },
        }, Json, statusCode: status);
    }

    /// <summary>Reads the app id of an app-only token; signatures are not checked (the emulator is local).</summary>
    private static string? AppIdFromBearer(string header)
    {
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parts = header[7..].Trim().Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
            var root = document.RootElement;
            foreach (var claim in new[] { "appid", "azp", "sub" })
            {
                if (root.TryGetProperty(claim, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    return value.GetString();
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    private static string EncodeSkipToken(int skip) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("skip=" + skip.ToString(CultureInfo.InvariantCulture)));

    private static int? DecodeSkipToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(token));
            return text.StartsWith("skip=", StringComparison.Ordinal)
                   && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var skip)
                ? skip
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^\s*contains\(\s*(\w+)\s*,\s*'([^']*)'\s*\)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ContainsFilter();
}
