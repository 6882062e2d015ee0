using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sarthe.GraphEmulator;

/// <summary>
/// The HTTP face of the emulator: the guard every Graph request passes (token, outage, faults, throttling, in that
/// order), the Graph routes the product calls, and the /_emulator routes for tests and operators.
/// </summary>
public static class GraphEmulatorApp
{
    /// <summary>Maps the emulator onto <paramref name="app"/>.</summary>
    public static void MapGraphEmulator(this WebApplication app, GraphEmulatorState state)
    {
        app.Use((context, next) => context.Request.Path.StartsWithSegments("/_emulator") ? next() : ServeGraphAsync(context, state));

        app.MapGet("/_emulator/counters", () => Results.Json(state.Counters, GraphJson.Options));
        app.MapPost("/_emulator/owned-elsewhere", async (HttpRequest request) =>
        {
            state.OwnElsewhere(await JsonSerializer.DeserializeAsync<string[]>(request.Body, GraphJson.Options) ?? []);
            return Results.NoContent();
        });
        app.MapPost("/_emulator/outage", async (HttpRequest request) =>
        {
            var body = request.ContentLength is > 0 ? await JsonSerializer.DeserializeAsync<OutageBody>(request.Body, GraphJson.Options) : null;
            state.StartOutage(body?.Seconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
            return Results.NoContent();
        });
        app.MapDelete("/_emulator/outage", () =>
        {
            state.EndOutage();
            return Results.NoContent();
        });

        // Test hooks (GraphEmulatorOptions.ImportAnswerDelay, StatusReadDelay), switched at run time.
        app.MapPost("/_emulator/delays", async (HttpRequest request) =>
        {
            var body = await JsonSerializer.DeserializeAsync<DelaysBody>(request.Body, GraphJson.Options) ?? new DelaysBody();
            if (body.ImportAnswerSeconds is { } import)
            {
                state.Options.ImportAnswerDelay = TimeSpan.FromSeconds(import);
            }

            if (body.StatusReadSeconds is { } read)
            {
                state.Options.StatusReadDelay = TimeSpan.FromSeconds(read);
            }

            return Results.NoContent();
        });
        app.MapDelete("/_emulator/delays", () =>
        {
            state.Options.ImportAnswerDelay = TimeSpan.Zero;
            state.Options.StatusReadDelay = TimeSpan.Zero;
            return Results.NoContent();
        });
        app.MapGet("/_emulator/imports-by-serial", () => Results.Json(state.ImportsBySerial, GraphJson.Options));
    }

    /// <summary>The guard, then the route.</summary>
    private static async Task ServeGraphAsync(HttpContext context, GraphEmulatorState state)
    {
        GraphErrors.StampRequestIds(context);
        var appId = AppIdFromBearer(context.Request.Headers.Authorization.ToString());
        if (appId is null)
        {
            await GraphErrors.Graph(context, 401, "InvalidAuthenticationToken", "Access token is empty.").ExecuteAsync(context);
            return;
        }

        var isWrite = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
        state.Count(CounterKind.Requests);
        if (isWrite)
        {
            state.Count(CounterKind.Writes);
        }

        state.Throttle.RecordSent(appId, isWrite);
        if (state.Options.AddedLatency > TimeSpan.Zero)
        {
            await Task.Delay(state.Options.AddedLatency, context.RequestAborted);
        }

        if (state.AppRefused)
        {
            // Intune's answer to an app without the permission (the message Graph sends for Intune endpoints: "Application
            // is not authorized to perform this operation. Application must have one of the following scopes: …").
            await GraphErrors.Intune(context, 403, "Forbidden",
                "Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementServiceConfig.Read.All, DeviceManagementServiceConfig.ReadWrite.All").ExecuteAsync(context);
            return;
        }

        if (state.InOutage)
        {
            state.Count(CounterKind.Faults);
            await GraphErrors.Graph(context, 503, "ServiceUnavailable", "The service is temporarily unavailable.").ExecuteAsync(context);
            return;
        }

        if (state.RollFault() is { } faultStatus)
        {
            state.Count(CounterKind.Faults);
            await (faultStatus == 503
                ? GraphErrors.Graph(context, 503, "ServiceUnavailable", "The service is temporarily unavailable.")
                : GraphErrors.Graph(context, 504, "GatewayTimeout", "The upstream service did not answer in time.")).ExecuteAsync(context);
            return;
        }

        var admission = state.Throttle.Admit(appId, isWrite);
        if (admission.Verdict != ThrottleVerdict.Admitted)
        {
            state.Count(admission.Verdict == ThrottleVerdict.ThrottledByApp ? CounterKind.ThrottledByApp : CounterKind.ThrottledByTenant);
            if (state.SendsRetryAfter())
            {
                // Whole seconds to the window's end (concepts/throttling.md: "Wait the number of seconds specified").
                var seconds = Math.Max(1, (int)Math.Ceiling(admission.UntilWindowEnds.TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            // Intune's 429 body (almenscorner/IntuneCD #217, andrew-s-taylor/WindowsAutopilotInfo #29).
            await GraphErrors.Intune(context, 429, "TooManyRequests").ExecuteAsync(context);
            return;
        }

        await GraphRoutes.DispatchAsync(context, state);
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
}
