using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sarthe.GraphEmulator;

/// <summary>
/// The Graph routes the product calls, answered with Graph's shapes. Segments compare case-insensitively (Microsoft's
/// tool posts …/UpdateDeviceProperties). Served:
/// <list type="bullet">
/// <item>v1.0 importedWindowsAutopilotDeviceIdentities: POST (create), POST /import, GET list, GET /{id}, DELETE /{id};</item>
/// <item>v1.0 windowsAutopilotDeviceIdentities: GET list, GET /{id}, DELETE /{id}, POST /{id}/updateDeviceProperties;</item>
/// <item>beta windowsAutopilotDeviceIdentities: GET list, GET /{id} (with the profile assignment fields).</item>
/// </list>
/// An unknown segment answers Graph's "Resource not found for the segment" (microsoft-graph-docs #5180); a known path with
/// another verb answers Intune's "No method match route template" (microsoft-graph-docs-contrib #98, #4235, #7499).
/// </summary>
internal static class GraphRoutes
{
    internal const string V1 = "v1.0";
    internal const string Beta = "beta";
    internal const string DeviceManagement = "deviceManagement";
    private const string ImportedSet = "importedWindowsAutopilotDeviceIdentities";
    private const string DeviceSet = "windowsAutopilotDeviceIdentities";
    private const string ImportAction = "import";
    private const string UpdateAction = "updateDeviceProperties";

    public static async Task DispatchAsync(HttpContext context, GraphEmulatorState state)
    {
        var segments = (context.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = context.Request.Method;
        // Bodies are small: read once here so that the routes stay plain expressions.
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var importPost = IsImportPost(segments, method);
        if (IsStatusRead(segments, method)
            && !await HoldAsync(context, state, state.Options.StatusReadDelay, CounterKind.StatusReadsHeld, CounterKind.StatusReadsDelayed))
        {
            return;
        }

        var result = Route(context, state, segments, method, body);
        // The import is taken before its answer is held: a caller that dies meanwhile leaves it in Graph, unrecorded.
        if (importPost && !await HoldAsync(context, state, state.Options.ImportAnswerDelay, CounterKind.ImportAnswersHeld, CounterKind.ImportAnswersDelayed))
        {
            return;
        }

        if (importPost && result is not IStatusCodeHttpResult { StatusCode: >= 400 } && state.TakeGatewayTimeout())
        {
            // Taken, then the gateway gave up waiting: the caller sees 504 although Graph stored the batch.
            state.Count(CounterKind.Faults);
            await GraphErrors.Graph(context, 504, "GatewayTimeout", "The upstream service did not answer in time.").ExecuteAsync(context);
            return;
        }

        await result.ExecuteAsync(context);
    }

    /// <summary>A create call or an import action (test hook <see cref="GraphEmulatorOptions.ImportAnswerDelay"/>).</summary>
    private static bool IsImportPost(string[] s, string method) =>
        Is(method, "POST") && s.Length is 3 or 4 && Is(s[0], V1) && Is(s[1], DeviceManagement) && Is(s[2], ImportedSet) && (s.Length == 3 || Is(s[3], ImportAction));

    /// <summary>A list page or a GET of imported identities: the product's status checks (test hook <see cref="GraphEmulatorOptions.StatusReadDelay"/>).</summary>
    private static bool IsStatusRead(string[] s, string method) =>
        Is(method, "GET") && s.Length is 3 or 4 && Is(s[0], V1) && Is(s[1], DeviceManagement) && Is(s[2], ImportedSet);

    /// <summary>Waits <paramref name="delay"/> (real time); false when the caller went away meanwhile (nobody reads the answer).</summary>
    private static async Task<bool> HoldAsync(HttpContext context, GraphEmulatorState state, TimeSpan delay, CounterKind held, CounterKind delayed)
    {
        if (delay <= TimeSpan.Zero)
        {
            return true;
        }

        state.Count(delayed);
        state.Count(held);
        try
        {
            await Task.Delay(delay, context.RequestAborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            state.Count(held, -1);
        }
    }

    private static IResult Route(HttpContext context, GraphEmulatorState state, string[] s, string method, string body)
    {
        if (s.Length == 0 || !(Is(s[0], V1) || Is(s[0], Beta)))
        {
            // Graph's answer to a path without a known version (jseerden/IntuneBackupAndRestore #82).
            return GraphErrors.Graph(context, 404, "ResourceNotFound", $"Invalid version: {(s.Length == 0 ? "" : s[0].ToLowerInvariant())}");
        }

        var beta = Is(s[0], Beta);
        if (TenantRoutes.Route(context, state, s, method, body) is { } tenant)
        {
            return tenant;
        }

        if (s.Length < 2 || !Is(s[1], DeviceManagement))
        {
            return SegmentNotFound(context, s.Length < 2 ? s[0] : s[1]);
        }

        if (s.Length < 3)
        {
            return SegmentNotFound(context, s[1]);
        }

        if (!beta && Is(s[2], ImportedSet))
        {
            return s.Length switch
            {
                3 when Is(method, "GET") => ListImported(context, state),
                3 when Is(method, "POST") => CreateIdentity(context, state, body),
                4 when Is(s[3], ImportAction) && Is(method, "POST") => ImportIdentities(context, state, body),
                4 when Is(method, "GET") => GetImported(context, state, s[3]),
                4 when Is(method, "DELETE") => DeleteImported(context, state, s[3]),
                3 or 4 => NoMethodMatch(context, method, ImportedSet, s.Length == 4 ? s[3] : null, null),
                _ => SegmentNotFound(context, s[4]),
            };
        }

        if (Is(s[2], DeviceSet))
        {
            return s.Length switch
            {
                3 when Is(method, "GET") => ListDevices(context, state, beta),
                4 when Is(method, "GET") => GetDevice(context, state, s[3], beta),
                4 when !beta && Is(method, "DELETE") => DeleteDevice(context, state, s[3]),
                5 when !beta && Is(s[4], UpdateAction) && Is(method, "POST") => UpdateDevice(context, state, s[3], body),
                3 or 4 when !beta => NoMethodMatch(context, method, DeviceSet, s.Length == 4 ? s[3] : null, null),
                5 when !beta && Is(s[4], UpdateAction) => NoMethodMatch(context, method, DeviceSet, s[3], UpdateAction),
                3 or 4 or 5 when beta => NotServedInBeta(context),
                _ => SegmentNotFound(context, s[^1]),
            };
        }

        return beta ? NotServedInBeta(context) : SegmentNotFound(context, s[2]);
    }

    // ---- importedWindowsAutopilotDeviceIdentities --------------------------------------------------------------

    /// <summary>Create: 201 and the entity (…-create.md). The record reads unknown whatever state was posted.</summary>
    private static IResult CreateIdentity(HttpContext context, GraphEmulatorState state, string body)
    {
        if (ReadBody<ImportedIdentityResource>(body) is not { } identity)
        {
            return GraphErrors.Graph(context, 400, "BadRequest", "Write request body is not valid.");
        }

        if (Unreadable(context, state, [identity]) is { } refused)
        {
            return refused;
        }

        state.Count(CounterKind.IdentityCreates);
        var created = state.Import([identity])[0];
        return Entity(context, created, V1, $"{DeviceManagement}/{ImportedSet}/$entity", 201);
    }

    /// <summary>The import action: 200 and the collection (…-import.md), at most MaxImportBatch identities.</summary>
    private static IResult ImportIdentities(HttpContext context, GraphEmulatorState state, string body)
    {
        var identities = ReadBody<ImportActionBody>(body)?.ImportedWindowsAutopilotDeviceIdentities;
        if (identities is null || identities.Count == 0)
        {
            return GraphErrors.Graph(context, 400, "BadRequest", "Write request body is not valid.");
        }

        if (identities.Count > state.Options.MaxImportBatch)
        {
            // Graph documents no limit; the emulator applies the portal's 500-row CSV limit (memdocs add-devices.md).
            return GraphErrors.Intune(context, 400, "BadRequest",
                $"The emulator accepts at most {state.Options.MaxImportBatch} identities per import action (the portal's CSV limit; Graph documents none)");
        }

        if (Unreadable(context, state, identities) is { } refused)
        {
            return refused;
        }

        state.Count(CounterKind.ImportActions);
        var created = state.Import(identities);
        return Results.Json(new Dictionary<string, object?>
        {
            ["@odata.context"] = ContextUrl(context, V1, "Collection(microsoft.graph.importedWindowsAutopilotDeviceIdentity)"),
            ["value"] = created,
        }, GraphJson.Options);
    }

    /// <summary>
    /// A record Graph cannot read refuses the whole POST before anything is stored: OData's literal conversion error, as
    /// Graph answers a hardwareIdentifier it cannot take for Edm.Binary (the message the issue reproduced from Intune).
    /// </summary>
    private static IResult? Unreadable(HttpContext context, GraphEmulatorState state, IReadOnlyList<ImportedIdentityResource> identities)
    {
        if (state.FirstUnreadable(identities) is not { } record)
        {
            return null;
        }

        var literal = Convert.ToBase64String(record.HardwareIdentifier ?? []);
        return GraphErrors.Graph(context, 400, "BadRequest", $"Cannot convert the literal '{literal[..Math.Min(24, literal.Length)]}...' to the expected type 'Edm.Binary'.");
    }

    private static IResult ListImported(HttpContext context, GraphEmulatorState state)
    {
        if (ODataQuery.ParseList(context, ListKind.ImportedIdentities, state.Options.MaxPageSize, out var error) is not { } query)
        {
            return error!;
        }

        state.Count(CounterKind.IdentityListPages);
        return Collection(context, ODataQuery.Page(context, state.ImportedIdentities, query), V1, $"{DeviceManagement}/{ImportedSet}");
    }

    private static IResult GetImported(HttpContext context, GraphEmulatorState state, string id)
    {
        state.Count(CounterKind.IdentityGets);
        if (ODataQuery.RefuseAny(context) is { } refused)
        {
            return refused;
        }

        return state.GetImported(id) is { } identity
            ? Entity(context, identity, V1, $"{DeviceManagement}/{ImportedSet}/$entity")
            : GraphErrors.Intune(context, 404, "ResourceNotFound");
    }

    private static IResult DeleteImported(HttpContext context, GraphEmulatorState state, string id)
    {
        state.Count(CounterKind.IdentityDeletes);
        return state.DeleteImported(id) ? Results.NoContent() : GraphErrors.Intune(context, 404, "ResourceNotFound");
    }

    // ---- windowsAutopilotDeviceIdentities ----------------------------------------------------------------------

    private static IResult ListDevices(HttpContext context, GraphEmulatorState state, bool beta)
    {
        if (ODataQuery.ParseList(context, ListKind.AutopilotDevices, state.Options.MaxPageSize, out var error) is not { } query)
        {
            return error!;
        }

        state.Count(beta ? CounterKind.BetaReads : query.SerialContains is null ? CounterKind.AutopilotListPages : CounterKind.AutopilotFilteredLookups);
        var version = beta ? Beta : V1;
        return Collection(context, ODataQuery.Page(context, state.ListDevices(beta, query.SerialContains), query), version, $"{DeviceManagement}/{DeviceSet}");
    }

    private static IResult GetDevice(HttpContext context, GraphEmulatorState state, string id, bool beta)
    {
        state.Count(beta ? CounterKind.BetaReads : CounterKind.AutopilotGets);
        if (ODataQuery.RefuseAny(context) is { } refused)
        {
            return refused;
        }

        // Before the sync lag and after deletion the device is not served: Microsoft's tool polls GET by id until it is.
        return state.GetDevice(id, beta) is { } device
            ? Entity(context, device, beta ? Beta : V1, $"{DeviceManagement}/{DeviceSet}/$entity")
            : GraphErrors.Intune(context, 404, "ResourceNotFound");
    }

    private static IResult DeleteDevice(HttpContext context, GraphEmulatorState state, string id)
    {
        state.Count(CounterKind.DeviceDeletes);
        return state.DeleteDevice(id) switch
        {
            DeviceDeletion.Accepted => Results.NoContent(),
            // Intune's answer to deleting a device it does not hold: 400, not 404 (microsoft-graph-docs #7128).
            DeviceDeletion.NotFound => GraphErrors.Intune(context, 400, "BadRequest",
                $"Cannot find device with ztd Id {id} and accountId {GraphEmulatorState.AccountId} to delete"),
            // memdocs add-devices.md: "You can delete Windows Autopilot devices that aren't enrolled in Intune" (and, to remove
            // one that is, delete its Intune record first). Intune's wording for this refusal is not published: it answers
            // 400 BadRequest with its generic serialised error, as observed for refused Intune deletes
            // (microsoftgraph/powershell-intune-samples #45, #211), so the product cannot and does not read a reason from it.
            _ => GraphErrors.Intune(context, 400, "BadRequest"),
        };
    }

    /// <summary>updateDeviceProperties: 204 (v1.0 action page); an unknown device is ResourceNotFound (microsoft-graph-docs #11620).</summary>
    private static IResult UpdateDevice(HttpContext context, GraphEmulatorState state, string id, string body)
    {
        state.Count(CounterKind.DeviceUpdates);
        if (ReadBody<UpdateDevicePropertiesBody>(body) is not { } properties)
        {
            return GraphErrors.Graph(context, 400, "BadRequest", "Write request body is not valid.");
        }

        return state.UpdateDevice(id, properties) ? Results.NoContent() : GraphErrors.Intune(context, 404, "ResourceNotFound");
    }

    // ---- Shapes ------------------------------------------------------------------------------------------------

    internal static IResult Collection<T>(HttpContext context, (IReadOnlyList<T> Page, string? NextLink) page, string version, string entitySet)
    {
        var body = new Dictionary<string, object?> { ["@odata.context"] = ContextUrl(context, version, entitySet) };
        if (page.NextLink is not null)
        {
            body["@odata.nextLink"] = page.NextLink;
        }

        // Serialised as object so that a beta page writes the beta properties of each device.
        body["value"] = page.Page.Cast<object>().ToList();
        return Results.Json(body, GraphJson.Options);
    }

    internal static IResult Entity(HttpContext context, object entity, string version, string contextPath, int status = 200)
    {
        var body = new Dictionary<string, object?> { ["@odata.context"] = ContextUrl(context, version, contextPath) };
        foreach (var property in JsonSerializer.SerializeToElement(entity, entity.GetType(), GraphJson.Options).EnumerateObject())
        {
            body[property.Name] = property.Value;
        }

        return Results.Json(body, GraphJson.Options, statusCode: status);
    }

    private static string ContextUrl(HttpContext context, string version, string path) =>
        $"{context.Request.Scheme}://{context.Request.Host}/{version}/$metadata#{path}";

    internal static IResult SegmentNotFound(HttpContext context, string segment) =>
        GraphErrors.Graph(context, 400, "BadRequest", $"Resource not found for the segment '{segment}'.");

    /// <summary>Beta routes other than the device list and get exist in Graph but not here: say so rather than pretend.</summary>
    private static IResult NotServedInBeta(HttpContext context) =>
        GraphErrors.Graph(context, 400, "BadRequest",
            $"The Graph emulator serves only GET /beta/deviceManagement/windowsAutopilotDeviceIdentities[/{{id}}] and beta windowsAutopilotDeploymentProfiles; {context.Request.Method} {context.Request.Path} is not emulated.");

    private static IResult NoMethodMatch(HttpContext context, string method, string entitySet, string? key, string? action)
    {
        var template = "~/singleton/navigation" + (key is null ? "" : "/key") + (action is null ? "" : "/action");
        var request = $"/DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/{entitySet}"
                      + (key is null ? "" : $"('{key}')") + (action is null ? "" : $"/{action}");
        return GraphErrors.Graph(context, 400, "No method match route template",
            $"No OData route exists that match template {template} with http verb {method.ToUpperInvariant()} for request {request}.");
    }

    internal static T? ReadBody<T>(string body)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, GraphJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return null;
        }
    }

    internal static bool Is(string value, string expected) => string.Equals(value, expected, StringComparison.OrdinalIgnoreCase);
}
