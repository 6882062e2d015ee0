using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Hosting;

/// <summary>
/// Creates tables and queues once at start (never per invocation) and seeds the school registry.
/// </summary>
public sealed class StorageInitializer(
    TableServiceClient tables,
    QueueServiceClient queues,
    IOptions<QueueNameOptions> queueNames,
    SchoolDirectory schools,
    ILogger<StorageInitializer> logger) : IHostedService
{
    public static readonly string[] Tables = [TableNames.Schools, TableNames.SchoolKeys, TableNames.Devices, TableNames.DeviceSerials, TableNames.AuditEvents, TableNames.RegistrationOutbox, TableNames.FundingReports];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var table in Tables)
        {
            await tables.CreateTableIfNotExistsAsync(table, cancellationToken);
        }

        foreach (var queue in queueNames.Value.All)
        {
            await queues.GetQueueClient(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        var registry = SchoolRegistry.LoadDefault();
        await schools.SeedAsync(registry, cancellationToken);
        logger.LogInformation("Storage ready: {TableCount} tables, {SchoolCount} schools seeded", Tables.Length, registry.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
