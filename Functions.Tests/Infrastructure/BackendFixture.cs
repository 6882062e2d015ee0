using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;

namespace Sarthe.Enrolment.Tests.Infrastructure;

/// <summary>
/// The whole backend as the README's run command starts it, in-process on free ports: Azurite, the Graph
/// emulator and the dev host (HTTP functions, WebJobs queue/timer triggers, dev token issuer).
/// </summary>
public sealed class BackendFixture : IAsyncLifetime
{
    private RunningDevHost? _host;

    public RunningDevHost Host => _host ?? throw new InvalidOperationException("Backend not started.");

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var options = new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Warning };
        options.GraphEmulator.ImportProcessingDelay = TimeSpan.FromMilliseconds(300);
        _host = await RunningDevHost.StartAsync(options);
        Client = new HttpClient { BaseAddress = _host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    public string Token(params string[] roles) => Host.Tokens.CreateToken(roles);

    public HttpRequestMessage Request(HttpMethod method, string path, string? role = AdminRoles.Read)
    {
        var request = new HttpRequestMessage(method, path);
        if (role is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(role));
        }

        return request;
    }

    public async Task<HttpResponseMessage> GetAsync(string path, string? role = AdminRoles.Read) =>
        await Client.SendAsync(Request(HttpMethod.Get, path, role));

    public async Task<T> GetJsonAsync<T>(string path, string? role = AdminRoles.Read)
    {
        using var response = await GetAsync(path, role);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }
}

[CollectionDefinition(Name)]
public sealed class BackendCollection : ICollectionFixture<BackendFixture>
{
    public const string Name = "backend";
}
