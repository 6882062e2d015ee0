using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using Sarthe.DevHost;
using Sarthe.Enrolment.Health;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

[Collection(BackendCollection.Name)]
public sealed class HealthTests(BackendFixture backend)
{
    [Fact]
    public async Task Health_is_anonymous_and_healthy_when_storage_answers()
    {
        using var response = await backend.GetAsync("api/health", role: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("healthy", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_is_503_unhealthy_when_storage_is_unreachable()
    {
        // A storage account on a port nothing listens on: the real client, really failing.
        var deadPort = FreePort.Next();
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        var tables = new TableServiceClient(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:{deadPort}/devstoreaccount1;",
            options);
        var function = new HealthFunction(tables, NullLogger<HealthFunction>.Instance);
        var context = new DefaultHttpContext { Response = { Body = new MemoryStream() } };

        var result = await function.Health(context.Request, CancellationToken.None);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        Assert.Equal(503, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        var json = JsonDocument.Parse(context.Response.Body).RootElement;
        Assert.Equal("unhealthy", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Dev_host_refuses_to_start_on_unreachable_storage_with_a_one_line_reason()
    {
        var options = new DevHostOptions { Port = 0 };
        options.Settings["AzureWebJobsStorage"] =
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:{FreePort.Next()}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{FreePort.Next()}/devstoreaccount1;";

        var error = await Assert.ThrowsAsync<DevHostStartupException>(() => RunningDevHost.StartAsync(options));

        Assert.Contains("unreachable", error.Message);
        Assert.Contains("AzureWebJobsStorage", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }
}

public sealed class StartupValidationTests
{
    [Fact]
    public async Task Invalid_settings_stop_the_dev_host_with_a_message_naming_the_setting()
    {
        var options = new DevHostOptions { Port = 0 };
        options.Settings["Enrolment:MasterSecret"] = "too-short";

        var error = await Assert.ThrowsAsync<DevHostStartupException>(() => RunningDevHost.StartAsync(options));

        Assert.Contains("Enrolment:MasterSecret", error.Message);
    }
}
