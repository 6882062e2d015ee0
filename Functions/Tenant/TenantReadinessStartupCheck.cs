using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sarthe.Enrolment.Tenant;

/// <summary>Runs the readiness check once when the app starts and logs its findings: an unready tenant shows in the logs before the first device boots.</summary>
public sealed partial class TenantReadinessStartupCheck(TenantReadinessService readiness, IOptions<TenantReadinessOptions> options, ILogger<TenantReadinessStartupCheck> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.CheckAtStartup)
        {
            return;
        }

        try
        {
            var report = await readiness.CheckAsync(stoppingToken);
            if (report.IsReady)
            {
                LogReady(logger, report.Schools.Count);
                return;
            }

            foreach (var finding in report.Findings)
            {
                LogFinding(logger, finding);
            }

            foreach (var school in report.Schools)
            {
                foreach (var finding in school.Findings)
                {
                    LogSchoolFinding(logger, school.Uai, finding);
                }
            }
        }
        catch (RequestFailedException ex)
        {
            LogStorageUnavailable(logger, ex.Message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Tenant ready: Graph, Intune and a deployment profile for each of the {Schools} schools")]
    private static partial void LogReady(ILogger logger, int schools);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Tenant not ready: {Finding}")]
    private static partial void LogFinding(ILogger logger, string finding);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Tenant not ready for school {SchoolUai}: {Finding}")]
    private static partial void LogSchoolFinding(ILogger logger, string schoolUai, string finding);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "Tenant readiness not checked at start-up: storage unavailable ({Reason})")]
    private static partial void LogStorageUnavailable(ILogger logger, string reason);
}
