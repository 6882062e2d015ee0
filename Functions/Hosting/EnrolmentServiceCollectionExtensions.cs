using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Dashboard;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Hosting;

public static class EnrolmentServiceCollectionExtensions
{
    /// <summary>
    /// Everything the function classes need; the Functions worker and the dev host both call this, and
    /// both create the function classes themselves from this container.
    /// </summary>
    public static IServiceCollection AddEnrolmentServices(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = StorageConnection.FromConfiguration(configuration);
        services.AddAzureClients(clients =>
        {
            clients.AddClient<TableServiceClient, TableClientOptions>(options => storage.CreateTableServiceClient(options));
            clients.AddClient<QueueServiceClient, QueueClientOptions>(options =>
            {
                // The Functions queue trigger expects Base64 message bodies.
                options.MessageEncoding = QueueMessageEncoding.Base64;
                return storage.CreateQueueServiceClient(options);
            });
        });
        services.AddSingleton(TimeProvider.System);

        services.AddOptions<QueueNameOptions>().Configure<IConfiguration>((options, config) =>
        {
            options.Registration = config[QueueNameOptions.RegistrationSetting] ?? options.Registration;
            options.Audit = config[QueueNameOptions.AuditSetting] ?? options.Audit;
        });
        services.AddOptions<AdminAuthOptions>().BindConfiguration(AdminAuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EnrolmentKeyOptions>().BindConfiguration(EnrolmentKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FundingOptions>().BindConfiguration(FundingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RegistrationOptions>().BindConfiguration(RegistrationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddHttpClient(nameof(AdminAuthenticator));
        services.AddSingleton<AdminAuthenticator>();
        services.AddGraphClient();

        services.AddSingleton<SchoolDirectory>();
        services.AddSingleton<SchoolKeyStore>();
        services.AddSingleton<SchoolCache>();
        services.AddSingleton<DeviceStore>();
        services.AddSingleton<AuditPublisher>();
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<EnrolmentService>();
        services.AddSingleton<AutopilotImporter>();
        services.AddSingleton<RegistrationOutbox>();
        services.AddSingleton<RegistrationProcessor>();
        services.AddSingleton<FundingReportStore>();
        services.AddSingleton<FundingReportService>();
        services.AddSingleton<DashboardAssets>();
        services.AddHostedService<StorageInitializer>();
        return services;
    }
}
