using System.Collections;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Sarthe.DevHost;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// The dev host with the worker's telemetry (<see cref="TelemetryRegistration"/>) exported in memory: what an
/// enrolment leaves in traces and metrics is what Application Insights receives in Azure. Sources and meters are
/// process-wide, so other backends' telemetry lands here too: each test follows its own trace id and serial.
/// </summary>
public sealed class TelemetryFixture : BackendFixture
{
    public LockedCollection<Activity> Spans { get; } = new();

    public LockedCollection<MetricSnapshot> Metrics { get; } = new();

    protected override void Configure(DevHostOptions options) =>
        options.Telemetry = telemetry => telemetry
            .WithTracing(tracing => tracing.AddInMemoryExporter(Spans))
            .WithMetrics(metrics => metrics.AddInMemoryExporter(Metrics));

    /// <summary>Metric points exported so far (cumulative), after flushing what the meters hold.</summary>
    public IReadOnlyList<MetricSnapshot> FlushMetrics()
    {
        Host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        return Metrics.Snapshot();
    }
}

/// <summary>A collection the exporters add to from any thread while a test reads it.</summary>
public sealed class LockedCollection<T> : ICollection<T>
{
    private readonly List<T> _items = [];

    public int Count { get { lock (_items) { return _items.Count; } } }

    public bool IsReadOnly => false;

    public IReadOnlyList<T> Snapshot() { lock (_items) { return [.. _items]; } }

    public void Add(T item) { lock (_items) { _items.Add(item); } }

    public void Clear() { lock (_items) { _items.Clear(); } }

    public bool Contains(T item) { lock (_items) { return _items.Contains(item); } }

    public void CopyTo(T[] array, int arrayIndex) { lock (_items) { _items.CopyTo(array, arrayIndex); } }

    public bool Remove(T item) { lock (_items) { return _items.Remove(item); } }

    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class TelemetryTests(TelemetryFixture backend) : IClassFixture<TelemetryFixture>
{
    [Fact]
    public async Task An_enrolment_is_traced_from_its_request_through_the_import_to_the_graph_call_and_counted()
    {
        var serial = Enroller.NewSerial("OTEL");
        var body = System.Text.Encoding.UTF8.GetBytes(Enroller.Body(serial, "0720001K").ToJsonString());
        var key = await backend.Enroller.KeyAsync("0720001K");
        // The device's own trace: the test client's span (and so the traceparent it sends) belongs to it.
        var trace = ActivityTraceId.CreateRandom();
        HttpResponseMessage response;
        using (new Activity("first boot").SetParentId(trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
        {
            response = await backend.Enroller.SendAsync(body, key);
        }

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        response.Dispose();
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());

        // The request: a server span in the caller's trace, named by its outcome.
        var server = await Eventually.MatchesAsync(
            () => Task.FromResult(backend.Spans.Snapshot().FirstOrDefault(s => s.TraceId == trace && s.Kind == ActivityKind.Server)),
            s => s is not null, because: "the enrolment's server span");
        Assert.Equal("accepted", server!.GetTagItem("enrolment.outcome"));
        Assert.Equal(serial, server.GetTagItem("device.serial_number"));

        // The sync run that planned the device's import links back to that request.
        var spans = backend.Spans.Snapshot();
        var plan = Assert.Single(spans, s => s.DisplayName == "plan import" && s.Links.Any(l => l.Context.TraceId == trace));
        var run = Assert.Single(spans, s => s.SpanId == plan.ParentSpanId);
        Assert.Equal("autopilot sync", run.DisplayName);

        // The import is sent in a span of its own, and the Graph call is its child: a dependency in Application Insights.
        var importId = plan.GetTagItem("enrolment.import_id");
        var post = await Eventually.MatchesAsync(
            () => Task.FromResult(backend.Spans.Snapshot().FirstOrDefault(s => s.DisplayName == "post import" && Equals(s.GetTagItem("enrolment.import_id"), importId))),
            s => s is not null, because: "the import's post span");
        // (Its other children are the import row's writes to Table storage: dependencies too.)
        var graphCall = Assert.Single(backend.Spans.Snapshot(), s => s.ParentSpanId == post!.SpanId && s.Kind == ActivityKind.Client
            && (s.GetTagItem("url.full") as string ?? "").Contains("/deviceManagement/importedWindowsAutopilotDeviceIdentities", StringComparison.Ordinal));
        Assert.Equal("POST", graphCall.GetTagItem("http.request.method"));
        Assert.Equal(201, graphCall.GetTagItem("http.response.status_code"));

        // And the metric points the alerts and the workbook read (the registration is counted once its event is published).
        var metrics = await Eventually.MatchesAsync(
            () => Task.FromResult(backend.FlushMetrics()),
            m => Sum(m, "enrolment.registrations", ("outcome", "registered"), ("school.uai", "0720001K")) >= 1, because: "the registration is counted");
        Assert.True(Sum(metrics, "enrolment.enrolments", ("outcome", "accepted"), ("school.uai", "0720001K")) >= 1, "no accepted enrolment counted");
        Assert.True(Sum(metrics, "enrolment.registrations", ("outcome", "registered"), ("school.uai", "0720001K")) >= 1, "no registration counted");
        Assert.True(Sum(metrics, "enrolment.graph.requests", ("kind", "write")) >= 1, "no Graph write counted");
    }

    [Fact]
    public async Task A_refused_enrolment_is_counted_with_its_reason()
    {
        var body = System.Text.Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("OTEL"), "0720002L").ToJsonString());

        using var response = await backend.Enroller.SendAsync(body, key: new byte[32]);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(Sum(backend.FlushMetrics(), "enrolment.enrolments", ("outcome", "refused"), ("reason", "bad_signature")) >= 1);
    }

    private static long Sum(IEnumerable<MetricSnapshot> metrics, string name, params (string Key, string Value)[] tags) =>
        metrics.Where(m => m.Name == name)
            .SelectMany(m => m.MetricPoints)
            .Where(p => tags.All(t => HasTag(p, t.Key, t.Value)))
            .Select(p => p.GetSumLong())
            .DefaultIfEmpty(0)
            .Max();

    private static bool HasTag(MetricPoint point, string key, string value)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key && Equals(tag.Value?.ToString(), value))
            {
                return true;
            }
        }

        return false;
    }
}
