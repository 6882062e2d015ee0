using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sarthe.Enrolment.Tests.Client;

/// <summary>What the front does to a request instead of passing it on.</summary>
public enum Fault
{
    /// <summary>Closes the connection without an answer: the network is down.</summary>
    Drop,

    /// <summary>500 from a server in trouble.</summary>
    ServerError,

    /// <summary>503 without Retry-After.</summary>
    Unavailable,

    /// <summary>429 with Retry-After.</summary>
    TooManyRequests,

    /// <summary>A school web filter's block page: 403 with an HTML page.</summary>
    WebFilter,

    /// <summary>A captive portal: 302 to its sign-in page (served by the front at <see cref="FaultyFront.PortalPath"/>, 200 HTML).</summary>
    CaptivePortal,

    /// <summary>A captive portal that answers in the service's place, without a redirect: 200 with its HTML page.</summary>
    PortalPage,
}

/// <summary>
/// The network between a device and the backend, in the test's hands: a reverse proxy on a free loopback port that
/// passes requests on to the dev host unchanged, except the ones told to fail (dropped, 500, 503, 429 + Retry-After, a
/// web filter's 403 page, a captive portal's redirect or page), and remembers every request line it saw.
/// </summary>
public sealed class FaultyFront : IAsyncDisposable
{
    /// <summary>Where <see cref="Fault.CaptivePortal"/> redirects: the portal's sign-in page, 200 HTML, never passed on.</summary>
    public const string PortalPath = "/portal/login";

    private const string FilterPage = "<!DOCTYPE html><html><head><title>Accès refusé - Filtrage web du collège</title></head><body><h1>Ce site est bloqué</h1><p>Catégorie : non classée.</p></body></html>";
    private const string PortalSignIn = "<!DOCTYPE html><html><head><title>Wi-Fi du collège - connexion</title></head><body><form method=\"post\"><input name=\"user\"></form></body></html>";

    private readonly WebApplication _app;
    private readonly HttpClient _backend;
    private readonly ConcurrentQueue<Rule> _rules = new();

    private FaultyFront(WebApplication app, HttpClient backend)
    {
        _app = app;
        _backend = backend;
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>"METHOD /path" of every request seen, in order (faulted ones included).</summary>
    public ConcurrentQueue<string> Seen { get; } = new();

    public static async Task<FaultyFront> StartAsync(Uri backend)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var front = new FaultyFront(app, new HttpClient { BaseAddress = backend, Timeout = TimeSpan.FromSeconds(30) });
        app.Run(front.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        front.Url = new Uri(address);
        return front;
    }

    /// <summary>The next <paramref name="times"/> requests with this method whose path starts with <paramref name="pathPrefix"/> fail so.</summary>
    public void Fail(string method, string pathPrefix, int times, Fault fault, int retryAfterSeconds = 0) =>
        _rules.Enqueue(new Rule(method, pathPrefix, fault, retryAfterSeconds) { Left = times });

    /// <summary>Where the record of requests stands now: count from there with <see cref="Count"/>.</summary>
    public int Mark => Seen.Count;

    /// <summary>Requests with this method whose path starts with <paramref name="pathPrefix"/>, seen since <paramref name="mark"/>.</summary>
    public int Count(string method, string pathPrefix, int mark = 0) =>
        Seen.Skip(mark).Count(line => line.StartsWith(method + " " + pathPrefix, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _backend.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        Seen.Enqueue(request.Method + " " + request.Path);
        if (request.Path.StartsWithSegments(PortalPath, StringComparison.Ordinal))
        {
            await AnswerHtmlAsync(context, StatusCodes.Status200OK, PortalSignIn);
            return;
        }

        if (_rules.FirstOrDefault(r => r.Matches(request) && r.TakeOne()) is { } rule)
        {
            await FailAsync(context, rule);
            return;
        }

        using var forwarded = new HttpRequestMessage(new HttpMethod(request.Method), request.Path + request.QueryString);
        var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        if (body.Length > 0 || request.ContentType is not null)
        {
            forwarded.Content = new ByteArrayContent(body.ToArray());
        }

        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && forwarded.Content is not null && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    forwarded.Content.Headers.TryAddWithoutValidation(name, values.ToArray());
                }

                continue;
            }

            forwarded.Headers.TryAddWithoutValidation(name, values.ToArray());
        }

        using var answer = await _backend.SendAsync(forwarded, context.RequestAborted);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static async Task FailAsync(HttpContext context, Rule rule)
    {
        switch (rule.Fault)
        {
            case Fault.Drop:
                context.Abort();
                return;
            case Fault.WebFilter:
                await AnswerHtmlAsync(context, StatusCodes.Status403Forbidden, FilterPage);
                return;
            case Fault.CaptivePortal:
                context.Response.Headers.Location = $"{context.Request.Scheme}://{context.Request.Host}{PortalPath}?origin={Uri.EscapeDataString(context.Request.Path)}";
                await AnswerHtmlAsync(context, StatusCodes.Status302Found, "<html><body>Redirection</body></html>");
                return;
            case Fault.PortalPage:
                await AnswerHtmlAsync(context, StatusCodes.Status200OK, PortalSignIn);
                return;
            case Fault.TooManyRequests:
                context.Response.Headers.RetryAfter = rule.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                break;
            case Fault.Unavailable:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                break;
        }

        await AnswerHtmlAsync(context, context.Response.StatusCode, "<html><body>front end trouble</body></html>");
    }

    private static async Task AnswerHtmlAsync(HttpContext context, int status, string page)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(page);
    }

    private sealed record Rule(string Method, string PathPrefix, Fault Fault, int RetryAfterSeconds)
    {
        private int _left;

        public int Left
        {
            get => _left;
            init => _left = value;
        }

        public bool Matches(HttpRequest request) =>
            (Method == "*" || request.Method.Equals(Method, StringComparison.OrdinalIgnoreCase)) && (PathPrefix == "/" || request.Path.StartsWithSegments(PathPrefix, StringComparison.Ordinal));

        public bool TakeOne() => Interlocked.Decrement(ref _left) >= 0;
    }
}
