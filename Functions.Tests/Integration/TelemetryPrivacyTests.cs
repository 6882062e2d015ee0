using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Privacy;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// The dev host with the worker's telemetry exported in memory, logs included down to Information: everything an
/// exporter would send to Application Insights, written out as text for the test to search.
/// </summary>
public sealed class TelemetryPrivacyFixture : BackendFixture
{
    public LockedCollection<Activity> Spans { get; } = new();

    public LockedCollection<string> Logs { get; } = new();

    protected override void Configure(DevHostOptions options)
    {
        options.MinimumLogLevel = LogLevel.Information;
        options.Telemetry = telemetry => telemetry
            .WithTracing(tracing => tracing.AddInMemoryExporter(Spans))
            .WithLogging(logging => logging.AddProcessor(new SimpleLogRecordExportProcessor(new TextLogExporter(Logs))));
    }

    /// <summary>Every log record as text (log records are pooled: they are written out as they are exported).</summary>
    private sealed class TextLogExporter(LockedCollection<string> lines) : BaseExporter<LogRecord>
    {
        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            foreach (var record in batch)
            {
                lines.Add($"{record.CategoryName} {record.FormattedMessage} {record.Body} {string.Join(" ", (record.Attributes ?? []).Select(a => $"{a.Key}={a.Value}"))} {record.Exception}");
            }

            return ExportResult.Success;
        }
    }
}

/// <summary>What leaves the product in traces and logs during a burst of enrolments: no hardware hash, key or token, and source addresses truncated.</summary>
public sealed partial class TelemetryPrivacyTests(TelemetryPrivacyFixture backend) : IClassFixture<TelemetryPrivacyFixture>
{
    private static readonly string[] Schools = ["0720001K", "0720002L"];

    [Fact]
    public async Task A_burst_of_enrolments_leaves_no_hash_key_or_token_in_telemetry_and_source_addresses_only_truncated()
    {
        var serials = Enumerable.Range(0, 24).Select(i => (Serial: Enroller.NewSerial("PRIV"), School: Schools[i % 2])).ToList();
        var keys = await Task.WhenAll(Schools.Select(backend.Enroller.KeyAsync));
        var token = backend.Token(AdminRoles.Admin);

        // The burst: every device at once, a forged one, status reads, an administrator reading the fleet.
        var enrolments = serials.Select(async d =>
        {
            var body = Encoding.UTF8.GetBytes(Enroller.Body(d.Serial, d.School).ToJsonString());
            using var response = await backend.Enroller.SendAsync(body, await backend.Enroller.KeyAsync(d.School), tamper: r => r.Headers.Add("X-Forwarded-For", ClaimedAddress));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        });
        await Task.WhenAll(enrolments);
        using (var forged = await backend.Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("PRIV"), Schools[0]).ToJsonString()), new byte[32]))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        foreach (var (serial, school) in serials.Take(4))
        {
            (await backend.Enroller.StatusAsync(serial, school)).Dispose();
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"api/schools/{Schools[0]}/devices"))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            (await backend.Client.SendAsync(request)).EnsureSuccessStatusCode();
        }

        await Task.WhenAll(serials.Select(d => backend.SettledAsync(d.Serial, TimeSpan.FromSeconds(90))));
        backend.Host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        backend.Host.Services.GetService<LoggerProvider>()?.ForceFlush();

        var spans = backend.Spans.Snapshot();
        var exported = spans.Select(Describe).Concat(backend.Logs.Snapshot()).ToList();
        Assert.Contains(exported, text => text.Contains(serials[0].Serial, StringComparison.Ordinal)); // the capture sees the burst

        var secrets = serials.Select(d => Convert.ToBase64String(Enroller.HashOf(d.Serial))[..64])
            .Concat(keys.SelectMany(k => new[] { Convert.ToBase64String(k), Convert.ToHexString(k), Convert.ToHexString(k).ToLowerInvariant() }))
            .Append(token).Append(token.Split('.')[2])
            .ToList();
        Assert.All(exported, text =>
        {
            Assert.DoesNotMatch(Jwt(), text);
            Assert.DoesNotContain("Bearer ", text, StringComparison.Ordinal);
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        });

        // Every client address a span or a log carries is a network, never a machine (127.0.0.1 → 127.0.0.0); the address
        // a client claims in X-Forwarded-For (no trusted proxy here) is nowhere.
        var addresses = spans.SelectMany(s => s.TagObjects).Where(t => SourceAddressTruncation.Attributes.Contains(t.Key)).Select(t => t.Value?.ToString()).ToList();
        Assert.All(addresses, a => Assert.Equal(SourceAddressTruncation.Truncate(a), a));
        Assert.DoesNotContain(exported, text => text.Contains(ClaimedAddress, StringComparison.Ordinal));
        Assert.DoesNotContain(exported, text => ClientAddress().IsMatch(text));
    }

    [Fact]
    public void The_span_processor_truncates_client_addresses_before_any_exporter_sees_them()
    {
        using var span = new Activity("request").Start();
        span.SetTag("client.address", "203.0.113.57");
        span.SetTag("network.peer.address", "2001:db8:85a3:8d3:1319:8a2e:370:7348");
        span.SetTag("server.address", "198.51.100.7");

        new SourceAddressTruncation.SpanProcessor().OnEnd(span);

        Assert.Equal("203.0.113.0", span.GetTagItem("client.address"));
        Assert.Equal("2001:db8:85a3::", span.GetTagItem("network.peer.address"));
        Assert.Equal("198.51.100.7", span.GetTagItem("server.address")); // the service's own address is not a person's
    }

    private const string ClaimedAddress = "203.0.113.57";

    // A client-address attribute whose value is a whole IPv4 address (last byte not zero).
    [GeneratedRegex(@"(client|peer)[\w.]*address=\d+\.\d+\.\d+\.(?!0\b)\d+")]
    private static partial Regex ClientAddress();

    [Theory]
    [InlineData("203.0.113.57", "203.0.113.0")]
    [InlineData("::ffff:203.0.113.57", "203.0.113.0")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::")]
    [InlineData("::1", "::")]
    [InlineData("not an address", null)]
    public void A_source_address_keeps_its_network_only(string address, string? truncated) =>
        Assert.Equal(truncated, SourceAddressTruncation.Truncate(address));

    private static string Describe(Activity span) =>
        $"{span.DisplayName} {span.StatusDescription} {string.Join(" ", span.TagObjects.Select(t => $"{t.Key}={t.Value}"))} " +
        string.Join(" ", span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name} {t.Key}={t.Value}"))) + " " +
        string.Join(" ", span.Links.SelectMany(l => l.Tags ?? []).Select(t => $"{t.Key}={t.Value}"));

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")]
    private static partial Regex Jwt();
}
