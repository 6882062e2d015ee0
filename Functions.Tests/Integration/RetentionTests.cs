using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Retention;
using Sarthe.Enrolment.Tests.Graph;
using Sarthe.Enrolment.Tests.Infrastructure;
using Sarthe.Enrolment.Trail;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend of its own (the purge deletes across every partition), whose purge timer ticks every few seconds.</summary>
public sealed class RetentionFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        options.Settings[TriggerOptions.RetentionScheduleSetting] = "*/3 * * * * *";
        // No nightly report built behind the test's back: it counts the reports it built.
        options.Settings[TriggerOptions.FundingReportScheduleSetting] = "0 0 0 1 1 *";
    }
}

/// <summary>
/// The daily purge through the dev host, on data the product wrote itself (enrolments, a deregistration, a serial
/// enrolled again, a manifest, a report, a refused attempt), run by a clock the test sets: what each rule expires goes,
/// the rest stays, and each run leaves one <c>retention.purged</c> entry with its counts.
/// </summary>
public sealed class RetentionTests(RetentionFixture backend) : IClassFixture<RetentionFixture>
{
    private const string School = "0720001K";

    private TableServiceClient Tables => backend.Host.Services.GetRequiredService<TableServiceClient>();

    [Fact]
    public async Task The_dev_host_runs_the_purge_on_its_timer_and_the_trail_shows_each_run()
    {
        // The timer's runs are dated by the real clock (the other test's runs by its own, years ahead).
        var entry = await Eventually.MatchesAsync(
            async () => (await PurgeEntriesAsync()).Where(e => e.GetDateTimeOffset("OccurredAt") < DateTimeOffset.UtcNow.AddMinutes(1)).ToList(),
            entries => entries.Count > 0,
            TimeSpan.FromSeconds(30),
            because: "the purge timer runs and its entry reaches the trail");

        var data = JsonNode.Parse(entry[0].GetString("Data")!)!;
        Assert.Equal("system", entry[0].GetString("ActorKind"));
        Assert.Equal("retention", entry[0].GetString("ActorId"));
        Assert.Equal("closing+5y", data["rules"]!["auditEntries"]!.GetValue<string>());
        Assert.Null(data["programmeClosingDate"]);
        Assert.Equal(RetentionCategory.Rules(new RetentionOptions()).Select(r => r.Category).Order(), data["deleted"]!.AsObject().Select(p => p.Key).Order());
    }

    [Fact]
    public async Task Each_rule_expires_only_its_category_a_second_run_deletes_nothing_and_the_closing_date_releases_the_programme()
    {
        // What the product writes: a device deregistered and enrolled again (its old row archived), one deregistered
        // and left so (its row and released claim), one registered, a manifest, a report, a refused attempt.
        var reenrolled = await DeregisteredAsync("RTA");
        using (var again = await backend.Enroller.EnrolAsync(reenrolled, School))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        await backend.SettledAsync(reenrolled);
        var deregistered = await DeregisteredAsync("RTD");
        var kept = Enroller.NewSerial("RTK");
        (await backend.Enroller.EnrolAsync(kept, School)).Dispose();
        await backend.SettledAsync(kept);
        await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{kept},{School},laptop,HP,ProBook 440 G8,BC-RT,F-RT,\"612,50\"\n", "retention.csv");
        var reportDate = DateTime.UtcNow.AddDays(-2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using (var built = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/reports/funding?date={reportDate}", AdminRoles.Admin)))
        {
            Assert.Equal(HttpStatusCode.Created, built.StatusCode);
        }

        var refused = await backend.Host.Services.GetRequiredService<AuditTrail>()
            .AppendAsync(AuditEvents.EnrolmentRejected(School, kept, 400, "invalid_body", ["hardwareHash"], DateTimeOffset.UtcNow), CancellationToken.None);
        Assert.Equal(2, refused); // its school's and its device's entries
        await Eventually.MatchesAsync(() => CountAsync(TableNames.AuditEvents, $"SerialNumber eq '{deregistered}' and Type eq '{AuditEventTypes.DeviceDeregistered}'"),
            n => n == 2, because: "the deregistration reaches the trail");

        var before = await SnapshotAsync();
        Assert.True(before[TableNames.Inventory] >= 1 && before[TableNames.FundingReports] >= 57 && before[TableNames.DeviceArchive] >= 1);

        // A year and a day later, closing date unknown: the operational categories go, the programme's documents stay.
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddDays(366));
        var run = await PurgeAsync(clock, closing: null);

        Assert.Equal(2, run.Deleted[RetentionCategory.RejectedAttempts]);
        Assert.Equal(1, run.Deleted[RetentionCategory.DeregisteredDevices]);
        Assert.Equal(1, run.Deleted[RetentionCategory.Archive]);
        Assert.Equal(0, run.Deleted[RetentionCategory.AuditEntries] + run.Deleted[RetentionCategory.Inventory] + run.Deleted[RetentionCategory.Reports]);
        Assert.Equal(0, await CountAsync(TableNames.Devices, $"RowKey eq '{deregistered}'"));
        // Its released claim goes too (deleted by this run, or by the timer's, which may have come first).
        Assert.Equal(0, await CountAsync(TableNames.DeviceSerials, $"PartitionKey eq '{deregistered}'"));
        Assert.Equal(1, await CountAsync(TableNames.DeviceSerials, $"PartitionKey eq '{kept}'"));
        Assert.Equal(0, await CountAsync(TableNames.DeviceArchive, $"RowKey ge '{reenrolled}|' and RowKey lt '{reenrolled}}}'"));
        Assert.Equal(1, await CountAsync(TableNames.Devices, $"RowKey eq '{reenrolled}'"));
        Assert.Equal(1, await CountAsync(TableNames.Devices, $"RowKey eq '{kept}'"));
        Assert.Equal(0, await CountAsync(TableNames.AuditEvents, $"Type eq '{AuditEventTypes.DeviceEnrolmentRejected}'"));
        var after = await SnapshotAsync();
        Assert.Equal(before[TableNames.Inventory], after[TableNames.Inventory]);
        Assert.Equal(before[TableNames.InventoryManifests], after[TableNames.InventoryManifests]);
        Assert.Equal(before[TableNames.FundingReports], after[TableNames.FundingReports]);

        // The run is in the trail, dated by the clock that ran it, with its counts.
        var entry = await Eventually.MatchesAsync(() => PurgeEntriesAsync(clock.GetUtcNow()), e => e.Count == 1, because: "the run's entry reaches the trail");
        var data = JsonNode.Parse(entry[0].GetString("Data")!)!;
        Assert.Equal(2, data["deleted"]![RetentionCategory.RejectedAttempts]!.GetValue<long>());
        Assert.Equal(1, data["deleted"]![RetentionCategory.DeregisteredDevices]!.GetValue<long>());
        Assert.Equal("365d", data["rules"]![RetentionCategory.RejectedAttempts]!.GetValue<string>());

        // Again: nothing more to delete.
        var second = await PurgeAsync(clock, closing: null);
        Assert.All(second.Deleted.Values, count => Assert.Equal(0, count));
        Assert.Equal(0, second.ReleasedClaims);

        // The managing authority's last payment is made this year; five years after 31 December, the programme's documents go
        // (and the purge entries written so far with them), not what is dated after the period.
        var closing = DateOnly.FromDateTime(DateTime.UtcNow);
        var periodEnd = new DateTimeOffset(closing.Year + 6, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var early = await PurgeAsync(new ManualClock(periodEnd.AddTicks(-1)), closing);
        Assert.Equal(0, early.Deleted[RetentionCategory.AuditEntries] + early.Deleted[RetentionCategory.Inventory] + early.Deleted[RetentionCategory.Reports]);

        var late = new ManualClock(periodEnd.AddDays(1));
        var released = await PurgeAsync(late, closing);
        Assert.True(released.Deleted[RetentionCategory.AuditEntries] >= 10, $"{released.Deleted[RetentionCategory.AuditEntries]} audit entries deleted");
        Assert.Equal(before[TableNames.Inventory] + before[TableNames.InventoryManifests], released.Deleted[RetentionCategory.Inventory]);
        Assert.Equal(before[TableNames.FundingReports], released.Deleted[RetentionCategory.Reports]);
        Assert.Equal(0, await CountAsync(TableNames.Inventory, ""));
        Assert.Equal(0, await CountAsync(TableNames.FundingReports, ""));
        // (The timer keeps adding entries of its own meanwhile, dated by the real clock.)
        Assert.Equal(0, await CountAsync(TableNames.AuditEvents, $"OccurredAt lt datetime'{periodEnd.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}' and Type ne '{AuditEventTypes.RetentionPurged}'"));
        // The entry of the early run (dated just before the period's end) went with the programme; this run's stays.
        Assert.Single(await Eventually.MatchesAsync(() => PurgeEntriesAsync(late.GetUtcNow()), e => e.Count == 1, because: "the last run's entry reaches the trail"));
    }

    private async Task<string> DeregisteredAsync(string prefix)
    {
        var serial = Enroller.NewSerial(prefix);
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        (await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serial}", AdminRoles.Admin))).Dispose();
        await Eventually.MatchesAsync(() => backend.StatusAsync(serial), s => s == "deregistered", because: $"{serial} is deregistered");
        return serial;
    }

    /// <summary>A purge as the timer runs it, with the test's clock and closing date in place of the host's.</summary>
    private Task<RetentionRun> PurgeAsync(TimeProvider clock, DateOnly? closing)
    {
        var funding = backend.Host.Services.GetRequiredService<IOptions<FundingOptions>>().Value;
        var options = Options.Create(new FundingOptions { ProgrammeStart = funding.ProgrammeStart, ProgrammeClosingDate = closing });
        return ActivatorUtilities.CreateInstance<RetentionPurge>(backend.Host.Services, clock, options).RunAsync(CancellationToken.None);
    }

    private async Task<List<TableEntity>> PurgeEntriesAsync(DateTimeOffset? at = null)
    {
        var filter = $"PartitionKey eq '{AuditTrail.ProgrammePartition}' and Type eq '{AuditEventTypes.RetentionPurged}'";
        var entries = await Tables.GetTableClient(TableNames.AuditEvents).QueryAsync<TableEntity>(filter).ToListAsync();
        // The queue's JSON carries times to the millisecond.
        return at is { } instant ? entries.Where(e => (e.GetDateTimeOffset("OccurredAt") - instant)?.Duration() < TimeSpan.FromSeconds(1)).ToList() : entries;
    }

    private async Task<Dictionary<string, int>> SnapshotAsync()
    {
        var counts = new Dictionary<string, int>();
        foreach (var table in new[] { TableNames.Inventory, TableNames.InventoryManifests, TableNames.FundingReports, TableNames.DeviceArchive })
        {
            counts[table] = await CountAsync(table, "");
        }

        return counts;
    }

    private async Task<int> CountAsync(string table, string filter)
    {
        var count = 0;
        await foreach (var _ in Tables.GetTableClient(table).QueryAsync<TableEntity>(filter.Length == 0 ? null : filter, select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }
}
