using Microsoft.Azure.WebJobs;
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

public sealed class RegistrationTriggers(IServiceProvider services)
{
    private RegistrationFunctions Functions => ActivatorUtilities.CreateInstance<RegistrationFunctions>(services);

    public Task SyncAutopilot([TimerTrigger(TriggerOptions.AutopilotSyncScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        Functions.SyncAutopilot(new WorkerTimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken);

    public Task SweepUnsettledDevices([TimerTrigger(TriggerOptions.SweepScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        Functions.SweepUnsettledDevices(new WorkerTimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken);
}

public sealed class AuditTriggers(IServiceProvider services)
{
    public Task RecordAuditEvent([QueueTrigger(TriggerOptions.AuditQueueExpression, Connection = TriggerOptions.Connection)] string message, CancellationToken cancellationToken) =>
        ActivatorUtilities.CreateInstance<AuditFunctions>(services).RecordAuditEvent(message, cancellationToken);
}

public sealed class ReportingTriggers(IServiceProvider services)
{
    public Task BuildFundingReport([TimerTrigger(TriggerOptions.FundingReportScheduleExpression, RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken) =>
        ActivatorUtilities.CreateInstance<FundingReportFunctions>(services).BuildFundingReport(new WorkerTimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken);
}

public sealed class RetentionTriggers(IServiceProvider services)
{
    public Task PurgeExpiredData([TimerTrigger(TriggerOptions.RetentionScheduleExpression)] TimerInfo timer, CancellationToken cancellationToken) =>
        ActivatorUtilities.CreateInstance<RetentionFunctions>(services).PurgeExpiredData(new WorkerTimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken);
}

/// <summary>Keeps the SDK from scanning every loaded assembly (which logs harmless TypeLoadExceptions).</summary>
internal sealed class AdapterTypeLocator(IReadOnlyList<Type> types) : ITypeLocator
{
    public IReadOnlyList<Type> GetTypes() => types;
}
