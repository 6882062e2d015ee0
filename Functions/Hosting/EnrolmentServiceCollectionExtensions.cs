using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Dashboard;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Enrolment;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Retention;
using Sarthe.Enrolment.Schools;
using Sarthe.Enrolment.Tenant;
using Sarthe.Enrolment.Trail;
using Sarthe.Enrolment.DeviceAdmin;

namespace Sarthe.Enrolment.Hosting;

public static class EnrolmentServiceCollectionExtensions
{
    /// <summary>
    /// Everything the function classes need; the Functions worker and the dev host both call this, and both create
    /// the function classes themselves from this container. Options are validated at start: a bad setting stops
    /// the app with a message that names it.
    /// </summary>
    public static IServiceCollection AddEnrolmentServices(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = StorageConnection.FromConfiguration(configuration);
        services.AddAzureClients(clients =>
        {
            clients.AddClient<TableServiceClient, TableClientOptions>(options => storage.CreateTableServiceClient(StorageConnection.WithPromptRetries(options)));
            clients.AddClient<QueueServiceClient, QueueClientOptions>(options =>
            {
                // The Functions queue trigger expects Base64 message bodies.
                options.MessageEncoding = QueueMessageEncoding.Base64;
                return storage.CreateQueueServiceClient(StorageConnection.WithPromptRetries(options));
            });
        });
        services.AddSingleton(TimeProvider.System);

        // Trigger settings are top-level keys (the Functions host resolves %Setting% from the app settings).
        services.AddOptions<TriggerOptions>().Bind(configuration);
        services.AddOptions<AdminAuthOptions>().BindConfiguration(AdminAuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EnrolmentKeyOptions>().BindConfiguration(EnrolmentKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<EnrolmentKeyOptions>, UnknownDevicePolicyValidation>();
        services.AddOptions<FundingOptions>().BindConfiguration(FundingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RegistrationOptions>().BindConfiguration(RegistrationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EnrolmentLimitOptions>().BindConfiguration(EnrolmentLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TenantReadinessOptions>().BindConfiguration(TenantReadinessOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<StorageGuard>();
        services.AddHttpClient(nameof(AdminAuthenticator));
        services.AddSingleton<AdminAuthenticator>();
        services.AddGraphClient();

        services.AddSingleton<SchoolStore>();
        services.AddSingleton<SchoolCache>();
        services.AddSingleton<SchoolKeyStore>();
        services.AddSingleton<SchoolKeyCache>();
        services.AddSingleton<DeviceStore>();
        services.AddSingleton<SerialClaims>();
        services.AddSingleton<DeviceQueries>();
        services.AddSingleton<DeviceSweepQueries>();
        services.AddSingleton<DeviceAdministration>();
        services.AddSingleton<DeviceLifecycleService>();
        services.AddSingleton<AuditPublisher>();
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<EnrolmentService>();
        services.AddSingleton<EnrolmentRateLimiter>();
        services.AddSingleton<RejectionTally>();
        services.AddHostedService(sp => sp.GetRequiredService<RejectionTally>());
        services.AddSingleton<DeviceEvents>();
        services.AddSingleton<RegistrationOutbox>();
        services.AddSingleton<ImportStore>();
        services.AddSingleton<ImportPlanner>();
        services.AddSingleton<ImportPoster>();
        services.AddSingleton<ImportMonitor>();
        services.AddSingleton<AutopilotWatcher>();
        services.AddSingleton<ImportCleaner>();
        services.AddSingleton<PipelineGauges>();
        services.AddSingleton<AutopilotSync>();
        services.AddSingleton<LifecycleOutbox>();
        services.AddSingleton<LifecycleWorker>();
        services.AddSingleton<RegistrationRedriver>();
        services.AddSingleton<RegistrationSweeper>();
        services.AddSingleton<FundingReportStore>();
        services.AddSingleton<FundingReportService>();
        services.AddSingleton<InventoryStore>();
        services.AddSingleton<PreRegistrationQueue>();
        services.AddSingleton<PreRegistration>();
        services.AddSingleton<ManifestImporter>();
        services.AddSingleton<DashboardAssets>();
        services.AddSingleton<RetentionPurge>();
        services.AddHostedService<StorageInitializer>();
        services.AddSingleton<TenantReadinessClient>();
        services.AddSingleton<TenantReadinessService>();
        services.AddHostedService<TenantReadinessStartupCheck>();
        return services;
    }
}
