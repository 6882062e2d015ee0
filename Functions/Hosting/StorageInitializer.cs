using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Hosting;

/// <summary>Creates tables and queues once at start (never per invocation) and seeds the school registry.</summary>
public sealed class StorageInitializer(
    TableServiceClient tables,
    QueueServiceClient queues,
    IOptions<TriggerOptions> triggers,
    SchoolStore schools,
    ILogger<StorageInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var table in TableNames.All)
        {
            await tables.CreateTableIfNotExistsAsync(table, cancellationToken);
        }

        foreach (var queue in triggers.Value.Queues)
        {
            await queues.GetQueueClient(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        var registry = BundledSchoolRegistry.Load();
        await schools.SeedAsync(registry, cancellationToken);
        logger.LogInformation("Storage ready: {TableCount} tables, {SchoolCount} schools seeded", TableNames.All.Count, registry.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
