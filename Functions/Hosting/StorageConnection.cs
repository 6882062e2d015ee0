using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace Sarthe.Enrolment.Hosting;

/// <summary>
/// Reads the storage account the same way the Functions host does: <c>AzureWebJobsStorage</c> as a
/// connection string (Azurite, local), or <c>AzureWebJobsStorage__accountName</c> /
/// <c>__tableServiceUri</c> / <c>__queueServiceUri</c> with a managed identity (Azure).
/// </summary>
public sealed class StorageConnection
{
    public const string SettingName = "AzureWebJobsStorage";

    private StorageConnection(string? connectionString, Uri? tableUri, Uri? queueUri, TokenCredential? credential)
    {
        ConnectionString = connectionString;
        TableServiceUri = tableUri;
        QueueServiceUri = queueUri;
        Credential = credential;
    }

    public string? ConnectionString { get; }

    public Uri? TableServiceUri { get; }

    public Uri? QueueServiceUri { get; }

    public TokenCredential? Credential { get; }

    public static StorageConnection FromConfiguration(IConfiguration configuration)
    {
        var connectionString = configuration[SettingName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new StorageConnection(connectionString, null, null, null);
        }

        var section = configuration.GetSection(SettingName);
        var account = section["accountName"];
        var tableUri = section["tableServiceUri"] ?? (account is null ? null : $"https://{account}.table.core.windows.net");
        var queueUri = section["queueServiceUri"] ?? (account is null ? null : $"https://{account}.queue.core.windows.net");
        if (tableUri is null || queueUri is null)
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set {SettingName} to a connection string, or {SettingName}__accountName for a managed identity.");
        }

        var clientId = section["clientId"];
        TokenCredential credential = clientId is null
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        return new StorageConnection(null, new Uri(tableUri), new Uri(queueUri), credential);
    }

    /// <summary>
    /// Retries that give up in seconds, not minutes: a request of the API must answer 503 within 10 s when storage
    /// is unreachable or silent (the SDK's default network timeout is 100 s). Two retries, 3 s per try.
    /// </summary>
    public static T WithPromptRetries<T>(T options)
        where T : Azure.Core.ClientOptions
    {
        options.Retry.MaxRetries = 2;
        options.Retry.Mode = Azure.Core.RetryMode.Exponential;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(3);
        return options;
    }

    public TableServiceClient CreateTableServiceClient(TableClientOptions options) =>
        ConnectionString is not null
            ? new TableServiceClient(ConnectionString, options)
            : new TableServiceClient(TableServiceUri!, Credential!, options);

    public QueueServiceClient CreateQueueServiceClient(QueueClientOptions options) =>
        ConnectionString is not null
            ? new QueueServiceClient(ConnectionString, options)
            : new QueueServiceClient(QueueServiceUri!, Credential!, options);
}
