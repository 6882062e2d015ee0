using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Tests.Infrastructure;
using Sarthe.Enrolment.Trail;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>The audit trail through the queue trigger as the dev host runs it, and GET /api/audit.</summary>
[Collection(BackendCollection.Name)]
public sealed class AuditTrailTests(BackendFixture backend)
{
    private const string School = "0720046J";

    private QueueClient AuditQueue => backend.Host.Services.GetRequiredService<QueueServiceClient>()
        .GetQueueClient(backend.Host.Services.GetRequiredService<IOptions<TriggerOptions>>().Value.AuditQueueName);

    [Fact]
    public async Task A_real_enrolment_to_registration_path_leaves_every_event_type_in_the_trail()
    {
        // Enrol, re-enrol, be refused, fail with 806, be retried by an administrator, end registered.
        var serial = Enroller.NewSerial("AUDIT");
        backend.Host.Graph!.State.OwnElsewhere([serial]);
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
        (await backend.Enroller.SendAsync(System.Text.Encoding.UTF8.GetBytes(Enroller.Body(serial, School).ToJsonString()), new byte[32])).Dispose();
        Assert.Equal("failed", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        backend.Host.Graph.State.Options.SerialsOwnedElsewhere.Remove(serial);
        (await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/devices/{serial}/retry", AdminRoles.Admin))).Dispose();
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());

        string[] expected =
        [
            AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceReenrolled, AuditEventTypes.DeviceRegistrationStarted,
            AuditEventTypes.DeviceRegistrationFailed, AuditEventTypes.DeviceRetryRequested, AuditEventTypes.DeviceRegistered,
        ];
        var items = await Eventually.MatchesAsync(
            () => ItemsAsync($"api/audit?serialNumber={serial}&pageSize=500"),
            list => expected.All(t => list.Any(e => e.GetProperty("type").GetString() == t)),
            because: "every event of the device's life is recorded");

        var enrolled = items.Single(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolled);
        Assert.Equal("device", enrolled.GetProperty("actor").GetProperty("kind").GetString());
        Assert.Equal(School, enrolled.GetProperty("schoolUai").GetString());
        var retry = items.Single(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceRetryRequested);
        Assert.Equal("administrator", retry.GetProperty("actor").GetProperty("kind").GetString());
        Assert.Equal(2, items.Count(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceRegistrationStarted));
        var times = items.Select(e => e.GetProperty("occurredAt").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderDescending(), times);

        // The refused request and the key rotation are in the school's trail, without any body.
        // Refusals are audited per minute (RejectionTally): count this one now rather than when its minute is over.
        await backend.Host.Services.GetRequiredService<RejectionTally>().FlushAsync(everything: true, CancellationToken.None);
        var schoolItems = await Eventually.MatchesAsync(
            () => ItemsAsync($"api/audit?schoolUai={School}&pageSize=500"),
            list => list.Any(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolmentRejected)
                    && list.Any(e => e.GetProperty("type").GetString() == AuditEventTypes.SchoolKeyRotated));
        var rejected = schoolItems.First(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolmentRejected);
        Assert.Equal(401, rejected.GetProperty("data").GetProperty("status").GetInt32());
        Assert.DoesNotContain("hardwareHash", rejected.GetRawText());
    }

    [Fact]
    public async Task A_duplicate_delivery_of_the_same_event_collapses_into_one_entry()
    {
        var serial = Enroller.NewSerial("DUP");
        var auditEvent = Event(serial, DateTimeOffset.UtcNow);
        var json = JsonSerializer.Serialize(auditEvent, ApiJson.Options);

        await AuditQueue.SendMessageAsync(json);
        await AuditQueue.SendMessageAsync(json);
        await AuditQueue.SendMessageAsync("[" + json + "," + json + "]");
        var marker = Event(serial, DateTimeOffset.UtcNow.AddSeconds(1));
        await AuditQueue.SendMessageAsync(JsonSerializer.Serialize(marker, ApiJson.Options));

        var items = await Eventually.MatchesAsync(
            () => ItemsAsync($"api/audit?serialNumber={serial}"),
            list => list.Any(e => e.GetProperty("eventId").GetGuid() == marker.EventId));
        await Task.Delay(1500); // let any straggling duplicate land
        items = await ItemsAsync($"api/audit?serialNumber={serial}");

        Assert.Single(items, e => e.GetProperty("eventId").GetGuid() == auditEvent.EventId);
        Assert.Equal(2, items.Count);
    }

    [Fact]
    public async Task Events_published_together_are_written_per_partition_in_transactions_and_a_partial_redelivery_adds_only_the_new_ones()
    {
        var trail = backend.Host.Services.GetRequiredService<AuditTrail>();
        var serial = Enroller.NewSerial("TXN");
        var now = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, 3)
            .Select(i => new AuditEvent(Guid.NewGuid(), now.AddMilliseconds(i), AuditEventTypes.DeviceRegistrationStarted, new AuditActor(AuditActor.SystemKind, "test"), School, serial, new JsonObject { ["attempt"] = i }))
            .ToList();

        // The first event alone, then all three (as a redelivered batch would): the transaction of each
        // partition meets the existing entry, so the two new ones are added one by one.
        Assert.Equal(2, await trail.AppendAsync(events.Take(1).ToList(), CancellationToken.None));
        Assert.Equal(4, await trail.AppendAsync(events, CancellationToken.None));
        Assert.Equal(0, await trail.AppendAsync(events, CancellationToken.None));

        var items = await ItemsAsync($"api/audit?serialNumber={serial}");
        Assert.Equal(events.Select(e => e.EventId).Reverse(), items.Select(e => e.GetProperty("eventId").GetGuid()));
        var schoolItems = await ItemsAsync($"api/audit?schoolUai={School}&from={Uri.EscapeDataString(now.AddSeconds(-1).ToString("O"))}&pageSize=500");
        Assert.Equal(3, schoolItems.Count(e => e.GetProperty("serialNumber").GetString() == serial));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"eventId\":\"6b0f0f2e-0000-0000-0000-000000000001\",\"occurredAt\":\"2026-11-28T02:00:00Z\",\"type\":\"device.exploded\",\"actor\":{\"kind\":\"system\",\"id\":\"x\"},\"serialNumber\":\"BAD-EVENT-1\"}")]
    [InlineData("{\"occurredAt\":\"2026-11-28T02:00:00Z\",\"type\":\"device.enrolled\",\"actor\":{\"kind\":\"system\",\"id\":\"x\"},\"serialNumber\":\"BAD-EVENT-2\"}")]
    [InlineData("{\"eventId\":\"6b0f0f2e-0000-0000-0000-000000000003\",\"occurredAt\":\"2026-11-28T02:00:00Z\",\"type\":\"device.enrolled\",\"actor\":{\"kind\":\"hacker\",\"id\":\"x\"},\"serialNumber\":\"BAD-EVENT-3\"}")]
    public async Task A_message_that_is_not_a_valid_event_goes_to_the_poison_queue_with_a_reason_and_writes_nothing(string message)
    {
        var poison = backend.Host.Services.GetRequiredService<QueueServiceClient>().GetQueueClient(AuditQueue.Name + "-poison");
        var marker = Guid.NewGuid().ToString("N");
        var tagged = message.Contains("BAD-EVENT", StringComparison.Ordinal) ? message.Replace("\"x\"", $"\"{marker}\"") : message + " " + marker;

        await AuditQueue.SendMessageAsync(tagged);

        var found = await Eventually.MatchesAsync(
            async () => (await poison.PeekMessagesAsync(32)).Value.Select(m => m.Body.ToString()).FirstOrDefault(b => b.Contains(marker, StringComparison.Ordinal)),
            body => body is not null,
            because: "the message is dead-lettered at once");
        Assert.Contains("\"reason\"", found);
        if (tagged.Contains("BAD-EVENT", StringComparison.Ordinal))
        {
            var serial = JsonNode.Parse(tagged)!["serialNumber"]!.GetValue<string>();
            Assert.Empty(await ItemsAsync($"api/audit?serialNumber={serial}"));
        }
    }

    [Fact]
    public async Task Pages_newest_first_and_filters_by_time()
    {
        var serial = Enroller.NewSerial("PAGES");
        var start = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
        var events = Enumerable.Range(0, 7).Select(i => Event(serial, start.AddHours(i))).ToList();
        await AuditQueue.SendMessageAsync("[" + string.Join(",", events.Select(e => JsonSerializer.Serialize(e, ApiJson.Options))) + "]");
        await Eventually.MatchesAsync(() => ItemsAsync($"api/audit?serialNumber={serial}&pageSize=500"), list => list.Count == 7);

        var seen = new List<Guid>();
        string? token = null;
        do
        {
            var page = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=3" + (token is null ? "" : $"&continuationToken={token}"));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("eventId").GetGuid()));
            token = page.TryGetProperty("continuationToken", out var t) ? t.GetString() : null;
        }
        while (token is not null);

        Assert.Equal(events.Select(e => e.EventId).Reverse(), seen);

        var window = await ItemsAsync($"api/audit?serialNumber={serial}&from=2026-11-20T10:00:00Z&to=2026-11-20T12:00:00Z");
        Assert.Equal(events.Skip(2).Take(3).Select(e => e.EventId).Reverse(), window.Select(e => e.GetProperty("eventId").GetGuid()));
    }

    [Theory]
    [InlineData("api/audit", "serialNumber")]
    [InlineData("api/audit?serialNumber=A1&schoolUai=0720001K", "schoolUai")]
    [InlineData("api/audit?schoolUai=0720001A", "schoolUai")]
    [InlineData("api/audit?serialNumber=A1&pageSize=0", "pageSize")]
    [InlineData("api/audit?serialNumber=A1&pageSize=501", "pageSize")]
    [InlineData("api/audit?serialNumber=A1&from=yesterday", "from")]
    [InlineData("api/audit?serialNumber=A1&from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z", "from")]
    [InlineData("api/audit?serialNumber=A1&continuationToken=nonsense", "continuationToken")]
    public async Task Bad_parameters_are_400_naming_them(string path, string field)
    {
        using var response = await backend.GetAsync(path);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }

    [Fact]
    public async Task The_read_role_is_required()
    {
        using var anonymous = await backend.GetAsync("api/audit?serialNumber=A1", role: null);
        using var wrongRole = await backend.Client.SendAsync(Authorized("Some.Other.Role"));

        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(wrongRole, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task There_is_no_delete()
    {
        using var response = await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, "api/audit?serialNumber=A1", AdminRoles.Admin));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["GET"], response.Content.Headers.Allow);
    }

    private HttpRequestMessage Authorized(string role)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "api/audit?serialNumber=A1");
        request.Headers.Authorization = new("Bearer", backend.Host.Tokens.CreateToken([role]));
        return request;
    }

    private static AuditEvent Event(string serial, DateTimeOffset at) =>
        new(Guid.NewGuid(), at, AuditEventTypes.ReportFundingBuilt, new AuditActor(AuditActor.SystemKind, "test"), null, serial, new JsonObject { ["n"] = 1 });

    private async Task<List<JsonElement>> ItemsAsync(string path)
    {
        var page = await backend.GetJsonAsync<JsonElement>(path);
        return page.GetProperty("items").EnumerateArray().ToList();
    }
}
