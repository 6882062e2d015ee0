using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Hosting;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Retention;
using WorkerTimerInfo = Microsoft.Azure.Functions.Worker.TimerInfo;
using Sarthe.Enrolment.Trail;

namespace Sarthe.DevHost;

/// <summary>
/// The only types the WebJobs SDK may index: thin adapters that carry WebJobs trigger attributes (the same
/// <see cref="TriggerOptions"/> expressions as the Functions app's, and a test compares them with the build's
/// functions.metadata) and hand each message or tick to the Functions app's own function class, created from
/// the app's DI container exactly as the worker creates it. Each adapter method has its function's name.
/// </summary>
public static class WebJobsAdapters
{
    public static readonly IReadOnlyList<Type> Types = [typeof(RegistrationTriggers), typeof(AuditTriggers), typeof(ReportingTriggers), typeof(RetentionTriggers)];
}

public sealed class RegistrationTriggers(IServiceProvider services, IHostApplicationLifetime lifetime)
{
    public Task SyncAutopilot([TimerTrigger(TriggerOptions.AutopilotSyncScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        Invocation.RunAsync<RegistrationFunctions>(services, lifetime, f => f.SyncAutopilot(new WorkerTimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken));

    public Task SweepUnsettledDevices([TimerTrigger(TriggerOptions.SweepScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        Invocation.RunAsync<RegistrationFunctions>(services, lifetime, f => f.SweepUnsettledDevices(new WorkerTimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken));
}

/// <summary>
/// One invocation of a function class, created for it from the app's services as the Functions worker does. A timer
/// that fires while the dev host is stopping can meet the services already disposed (Ctrl+C in the second after
/// start-up): that invocation had nothing to do and ends quietly, instead of being logged as a failed execution.
/// </summary>
internal static class Invocation
{
    public static async Task RunAsync<T>(IServiceProvider services, IHostApplicationLifetime lifetime, Func<T, Task> run)
    {
        try
        {
            await run(ActivatorUtilities.CreateInstance<T>(services));
        }
        catch (ObjectDisposedException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
        }
    }
}

public sealed class AuditTriggers(IServiceProvider services, IHostApplicationLifetime lifetime)
{
    public Task RecordAuditEvent([QueueTrigger(TriggerOptions.AuditQueueExpression, Connection = TriggerOptions.Connection)] string message, CancellationToken cancellationToken) =>
        Invocation.RunAsync<AuditFunctions>(services, lifetime, f => f.RecordAuditEvent(message, cancellationToken));
}

public sealed class ReportingTriggers(IServiceProvider services, IHostApplicationLifetime lifetime)
{
    public Task BuildFundingReport([TimerTrigger(TriggerOptions.FundingReportScheduleExpression, RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken) =>
        Invocation.RunAsync<FundingReportFunctions>(services, lifetime, f => f.BuildFundingReport(new WorkerTimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken));
}

public sealed class RetentionTriggers(IServiceProvider services, IHostApplicationLifetime lifetime)
{
    public Task PurgeExpiredData([TimerTrigger(TriggerOptions.RetentionScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        Invocation.RunAsync<RetentionFunctions>(services, lifetime, f => f.PurgeExpiredData(new WorkerTimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken));
}

/// <summary>Keeps the SDK from scanning every loaded assembly (which logs harmless TypeLoadExceptions).</summary>
internal sealed class AdapterTypeLocator(IReadOnlyList<Type> types) : ITypeLocator
{
    public IReadOnlyList<Type> GetTypes() => types;
}
