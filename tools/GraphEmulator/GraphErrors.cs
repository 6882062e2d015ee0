using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sarthe.GraphEmulator;

/// <summary>
/// Graph's error body, <c>{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}</c>
/// (microsoft-graph-docs-contrib concepts/errors.md). For Intune resources the message is Intune's own error serialised to a
/// string, as observed in msgraph-sdk-powershell #1260, microsoft-graph-docs-contrib #2756, microsoft-graph-docs #11620 and
/// almenscorner/IntuneCD #217: "{\r\n  \"_version\": 3,\r\n  \"Message\": \"An error has occurred - Operation ID (for customer
/// support): 0000… - Activity ID: &lt;client-request-id&gt; - Url: …\", …}".
/// </summary>
internal static class GraphErrors
{
    private const string RequestIdKey = "graph-emulator:request-id";
    private const string ClientRequestIdKey = "graph-emulator:client-request-id";

    /// <summary>Intune's generic text before " - Operation ID".</summary>
    public const string GenericIntuneText = "An error has occurred";

    /// <summary>Stamps request-id and client-request-id (the client's, when it sent one) on the request and the response.</summary>
    public static void StampRequestIds(HttpContext context)
    {
        var clientRequestId = context.Request.Headers["client-request-id"].ToString();
        if (!Guid.TryParse(clientRequestId, out _))
        {
            clientRequestId = Guid.NewGuid().ToString();
        }

        var requestId = Guid.NewGuid().ToString();
        context.Items[RequestIdKey] = requestId;
        context.Items[ClientRequestIdKey] = clientRequestId;
        context.Response.Headers["request-id"] = requestId;
        context.Response.Headers["client-request-id"] = clientRequestId;
    }

    /// <summary>A Graph gateway error: plain message.</summary>
    public static IResult Graph(HttpContext context, int status, string code, string message) =>
        Results.Json(Body(context, code, message), GraphJson.Options, statusCode: status);

    /// <summary>An Intune service error: the message is Intune's serialised error, <paramref name="text"/> first.</summary>
    public static IResult Intune(HttpContext context, int status, string code, string text = GenericIntuneText) =>
        Graph(context, status, code, IntuneMessage(context, text));

    /// <summary>Intune's message string, exactly in the observed layout (CRLF and two-space indentation included).</summary>
    public static string IntuneMessage(HttpContext context, string text)
    {
        var activityId = ClientRequestId(context);
        // The observed Url is Intune's own front end (fef.….manage.microsoft.com/DeviceEnrollmentFE/…); the emulator keeps
        // the layout but not a Microsoft host name.
        var path = context.Request.Path.Value ?? "";
        var afterVersion = path.IndexOf("/deviceManagement", StringComparison.OrdinalIgnoreCase) is var at and >= 0 ? path[at..] : path;
        // Intune re-encodes the query as .NET Framework did: "$filter=serialNumber+eq+%275CG%27", "contains(serialNumber%2c%27…"
        // (msgraph-sdk-powershell #1260, #2464); HttpUtility.UrlEncode writes the same.
        var query = string.Concat(context.Request.Query.Select(q => $"&{q.Key}={System.Web.HttpUtility.UrlEncode(q.Value.ToString())}"));
        var url = $"https://fef.graph-emulator.invalid/DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService{afterVersion}?api-version=2021-01-22{query}";
        var message = $"{text} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: {activityId} - Url: {url}";
        return "{\r\n"
               + "  \"_version\": 3,\r\n"
               + $"  \"Message\": {JsonSerializer.Serialize(message, GraphJson.Options)},\r\n"
               + "  \"CustomApiErrorPhrase\": \"\",\r\n"
               + "  \"RetryAfter\": null,\r\n"
               + "  \"ErrorSourceService\": \"\",\r\n"
               + "  \"HttpHeaders\": \"{}\"\r\n"
               + "}";
    }

    private static object Body(HttpContext context, string code, string message)
    {
        var time = context.RequestServices.GetService<GraphEmulatorState>()?.Time ?? TimeProvider.System;
        return new
        {
            error = new
            {
                code,
                message,
                innerError = new Dictionary<string, string>
                {
                    ["date"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
                    ["request-id"] = context.Items[RequestIdKey] as string ?? Guid.NewGuid().ToString(),
                    ["client-request-id"] = ClientRequestId(context),
                },
            },
        };
    }

    private static string ClientRequestId(HttpContext context) =>
        context.Items[ClientRequestIdKey] as string ?? Guid.NewGuid().ToString();
}
