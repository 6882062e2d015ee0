using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Kiota.Authentication.Azure;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace Sarthe.Enrolment.Graph;

public static class GraphClientRegistration
{
    private static readonly string[] Scopes = ["https://graph.microsoft.com/.default"];

    public static IServiceCollection AddGraphClient(this IServiceCollection services)
    {
        services.AddOptions<GraphOptions>().BindConfiguration(GraphOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<GraphBudget>();
        services.AddSingleton(sp => CreateClient(sp.GetRequiredService<IOptions<GraphOptions>>().Value, sp.GetRequiredService<GraphBudget>()));
        services.AddSingleton<AutopilotClient>();
        return services;
    }

    /// <summary>
    /// The real SDK client, with its default middleware (retry honouring Retry-After included) and, innermost, the
    /// handler that counts every request on the wire against <paramref name="budget"/>.
    /// </summary>
    public static GraphServiceClient CreateClient(GraphOptions options, GraphBudget? budget = null, HttpMessageHandler? finalHandler = null)
    {
        var baseUri = new Uri(options.BaseUrl.TrimEnd('/'));
        var authProvider = new AzureIdentityAuthenticationProvider(CreateCredential(options), [baseUri.Host], scopes: Scopes);
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        var retry = handlers.OfType<RetryHandler>().Single();
        handlers[handlers.IndexOf(retry)] = new RetryHandler(new RetryHandlerOption { MaxRetry = options.MaxRetries, Delay = options.RetryDelaySeconds });
        if (budget is not null)
        {
            handlers.Add(new GraphBudgetHandler(budget));
        }

        var httpClient = GraphClientFactory.Create(handlers, finalHandler: finalHandler);
        return new GraphServiceClient(httpClient, authProvider, baseUri.ToString());
    }

    private static TokenCredential CreateCredential(GraphOptions options) => options.Credential switch
    {
        GraphCredentialKind.Emulator => new EmulatorTokenCredential(options.ClientId ?? "local-dev-app"),
        GraphCredentialKind.ClientSecret => new ClientSecretCredential(
            options.TenantId ?? throw new OptionsValidationException(GraphOptions.Section, typeof(GraphOptions), ["Graph:TenantId is required for ClientSecret."]),
            options.ClientId ?? throw new OptionsValidationException(GraphOptions.Section, typeof(GraphOptions), ["Graph:ClientId is required for ClientSecret."]),
            options.ClientSecret ?? throw new OptionsValidationException(GraphOptions.Section, typeof(GraphOptions), ["Graph:ClientSecret is required for ClientSecret."])),
        _ => options.ClientId is null
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId)),
    };
}
