using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sarthe.Enrolment.Privacy;

namespace Sarthe.Enrolment.Hosting;

/// <summary>
/// OpenTelemetry for both hosts: the product's source and meter (<see cref="EnrolmentTelemetry"/>), every HttpClient
/// call as a client span (Graph and Storage are dependencies in Application Insights), and logs with their
/// structured fields as attributes. Exporters come from the settings: Azure Monitor when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (Entra authentication when
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> says so: the component has local authentication off), OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. The worker adds the Functions invocation spans
/// (<c>UseFunctionsWorkerDefaults</c>, learn.microsoft.com/azure/azure-functions/opentelemetry-howto), the dev
/// host its ASP.NET Core spans and, when asked, the console.
/// </summary>
public static class TelemetryRegistration
{
    public const string ServiceName = "sarthe-enrolment";
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    // .NET emits HttpClient spans and metrics natively under this name (no instrumentation package needed).
    private const string HttpClientSource = "System.Net.Http";

    public static OpenTelemetryBuilder AddEnrolmentTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            // First, so every exporter added after it receives source addresses truncated (docs/privacy.md).
            .WithTracing(tracing => tracing.AddProcessor(new SourceAddressTruncation.SpanProcessor()).AddSource(EnrolmentTelemetry.Name, HttpClientSource))
            .WithMetrics(metrics => metrics.AddMeter(EnrolmentTelemetry.Name, HttpClientSource))
            .WithLogging(logging => logging.AddProcessor(new SourceAddressTruncation.LogProcessor()));

        if (configuration[ConnectionStringSetting] is { Length: > 0 } connectionString)
        {
            var credential = AuthenticationCredential(configuration[AuthenticationStringSetting]);
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                options.Credential = credential;
            });
        }

        if (!string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]))
        {
            // The exporter reads the OTEL_EXPORTER_OTLP_* variables itself (endpoint, protocol, headers).
            telemetry.UseOtlpExporter();
        }

        return telemetry;
    }

    /// <summary>Whether a setting asks for an exporter (the dev host registers telemetry only then).</summary>
    public static bool HasExporter(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[ConnectionStringSetting]) || !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]);

    /// <summary>
    /// <c>Authorization=AAD</c> (with <c>ClientId=</c> for a user-assigned identity), as the Functions host reads it:
    /// learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication. Null: the connection string's key.
    /// </summary>
    internal static TokenCredential? AuthenticationCredential(string? authenticationString)
    {
        var parts = (authenticationString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}
