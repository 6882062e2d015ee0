using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// A tenant where only 0720001K's tag is covered: the emulator holds a profile assigned to a dynamic group whose rule is
/// Microsoft's for that tag, and nothing for the other schools. Registered devices get no profile after 2 seconds.
/// Start-up findings are captured from the host's loggers.
/// </summary>
public sealed class PartlyReadyTenantFixture : BackendFixture
{
    public const string Covered = "0720001K";
    public const string Uncovered = "0721483W";

    public ConcurrentQueue<(EventId Event, string Message)> StartupLogs { get; } = new();

    protected override void Configure(DevHostOptions options)
    {
        options.GraphEmulator.ProfileAssignments = new(StringComparer.OrdinalIgnoreCase) { [Covered] = "Collège A" };
        options.Settings["Tenant:ProfileGracePeriod"] = "00:00:02";
        options.Telemetry = telemetry => telemetry.Services.AddSingleton<ILoggerProvider>(new CapturingLoggerProvider(StartupLogs));
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<(EventId, string)> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName.EndsWith("TenantReadinessStartupCheck", StringComparison.Ordinal) ? new Capturing(logs) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Capturing(ConcurrentQueue<(EventId, string)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue((eventId, formatter(state, exception)));
        }
    }
}

public sealed class TenantReadinessRouteTests(PartlyReadyTenantFixture backend) : IClassFixture<PartlyReadyTenantFixture>
{
    [Fact]
    public async Task A_school_whose_tag_a_profiled_group_covers_is_ready_and_one_that_none_covers_is_flagged_with_its_cause()
    {
        var covered = Enroller.NewSerial("TRA");
        var uncovered = Enroller.NewSerial("TRB");
        Assert.Equal(HttpStatusCode.Accepted, (await backend.Enroller.EnrolAsync(covered, PartlyReadyTenantFixture.Covered)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await backend.Enroller.EnrolAsync(uncovered, PartlyReadyTenantFixture.Uncovered)).StatusCode);
        await backend.SettledAsync(covered);
        await backend.SettledAsync(uncovered);

        // Past the grace period, the uncovered school's device is counted; the covered one's has its profile.
        var report = await Eventually.MatchesAsync(
            () => backend.GetJsonAsync<JsonElement>("api/tenant/readiness"),
            r => School(r, PartlyReadyTenantFixture.Uncovered).GetProperty("devicesWithoutProfile").GetInt32() == 1,
            TimeSpan.FromSeconds(30), "the uncovered school's device is reported without a profile");

        Assert.True(report.GetProperty("graph").GetProperty("reachable").GetBoolean());
        Assert.True(report.GetProperty("graph").GetProperty("permission").GetBoolean());
        Assert.True(report.GetProperty("graph").GetProperty("licensed").GetBoolean());
        var ready = School(report, PartlyReadyTenantFixture.Covered);
        Assert.True(ready.GetProperty("profileAssigned").GetBoolean());
        Assert.True(ready.GetProperty("groupRuleCovers").GetBoolean());
        Assert.Equal("Collège A", ready.GetProperty("profileName").GetString());
        Assert.Equal(0, ready.GetProperty("devicesWithoutProfile").GetInt32());
        Assert.Empty(ready.GetProperty("findings").EnumerateArray());

        var flagged = School(report, PartlyReadyTenantFixture.Uncovered);
        Assert.False(flagged.GetProperty("profileAssigned").GetBoolean());
        Assert.False(flagged.GetProperty("groupRuleCovers").GetBoolean());
        var findings = flagged.GetProperty("findings").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.Contains(findings, f => f.Contains("does not cover [OrderID]:0721483W", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.StartsWith("1 device(s) registered", StringComparison.Ordinal)
                                       && f.Contains("no profile is assigned to a group whose rule covers", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_up_logs_each_school_finding_once()
    {
        var logs = await Eventually.MatchesAsync(
            () => Task.FromResult(backend.StartupLogs.ToList()),
            l => l.Any(e => e.Message.Contains(PartlyReadyTenantFixture.Uncovered, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the start-up check logs its findings");

        Assert.Single(logs, e => e.Message.StartsWith($"Tenant not ready for school {PartlyReadyTenantFixture.Uncovered}: No deployment profile reaches", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, e => e.Message.Contains($"school {PartlyReadyTenantFixture.Covered}:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_route_needs_the_read_role()
    {
        using var anonymous = await backend.GetAsync("api/tenant/readiness", role: null);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private static JsonElement School(JsonElement report, string uai) =>
        report.GetProperty("schools").EnumerateArray().Single(s => s.GetProperty("uai").GetString() == uai);
}

[Collection(BackendCollection.Name)]
public sealed class ReadyTenantTests(BackendFixture backend)
{
    [Fact]
    public async Task The_dev_hosts_tenant_has_a_profile_through_a_group_covering_every_school()
    {
        var report = await backend.GetJsonAsync<JsonElement>("api/tenant/readiness");

        Assert.Empty(report.GetProperty("findings").EnumerateArray());
        var schools = report.GetProperty("schools").EnumerateArray().ToList();
        Assert.NotEmpty(schools);
        Assert.All(schools, s =>
        {
            Assert.True(s.GetProperty("profileAssigned").GetBoolean());
            Assert.True(s.GetProperty("groupRuleCovers").GetBoolean());
        });
    }
}
