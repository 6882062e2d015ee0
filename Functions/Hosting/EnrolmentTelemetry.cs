using System.Diagnostics;
using System.Diagnostics.Metrics;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Enrolment;
using Sarthe.Enrolment.Registration;

namespace Sarthe.Enrolment.Hosting;

/// <summary>
/// The product's own signals: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <see cref="Name"/>, with every instrument created once here. The code records where an outcome is decided; the
/// exporters (Azure Monitor, OTLP, console) are chosen at start (<see cref="TelemetryRegistration"/>).
/// docs/operations.md names each metric, the alert that reads it and what to do about it.
/// </summary>
public static class EnrolmentTelemetry
{
    public const string Name = "Sarthe.Enrolment";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Enrolments = Meter.CreateCounter<long>(
        "enrolment.enrolments", "{request}", "Enrolment requests by outcome (accepted, already_enrolled, refused, too_many_attempts) and refusal reason.");

    private static readonly Counter<long> Registrations = Meter.CreateCounter<long>(
        "enrolment.registrations", "{device}", "Devices registered in Autopilot or failed, by outcome and Intune error code.");

    private static readonly Counter<long> GraphRequests = Meter.CreateCounter<long>(
        "enrolment.graph.requests", "{request}", "Requests on the wire to Graph, by kind (read, write) and HTTP status.");

    private static readonly Counter<long> GraphThrottled = Meter.CreateCounter<long>(
        "enrolment.graph.throttled", "{response}", "Graph answers 429 (Intune throttled the app).");

    private static readonly Gauge<long> OutboxDevices = Meter.CreateGauge<long>(
        "enrolment.outbox.devices", "{device}", "Devices waiting in RegistrationOutbox to be put in an import.");

    private static readonly Gauge<double> OutboxOldestAge = Meter.CreateGauge<double>(
        "enrolment.outbox.oldest_age", "s", "How long the oldest device in RegistrationOutbox has waited.");

    private static readonly Gauge<long> QueueMessages = Meter.CreateGauge<long>(
        "enrolment.queue.messages", "{message}", "Approximate messages in a queue (audit-events, audit-events-poison).");

    private static readonly Counter<long> ReportsBuilt = Meter.CreateCounter<long>(
        "enrolment.reports.built", "{report}", "ERDF funding reports built, by trigger (nightly, administrator).");

    private static readonly Gauge<int> LastNightReady = Meter.CreateGauge<int>(
        "enrolment.reports.last_night_ready", "1", "1 when the report of the day that has just ended exists after a nightly check, else 0.");

    /// <summary>Counts an enrolment's outcome and names it on the request's span; returns it unchanged.</summary>
    public static EnrolmentOutcome Recorded(EnrolmentOutcome outcome)
    {
        var (name, reason, device) = outcome switch
        {
            EnrolmentOutcome.Accepted { Device.Status: DeviceStatus.Held } held => ("held", "", held.Device),
            EnrolmentOutcome.Accepted accepted => ("accepted", "", accepted.Device),
            EnrolmentOutcome.AlreadyEnrolled repeat => ("already_enrolled", "", repeat.Device),
            EnrolmentOutcome.Refused refused => ("refused", refused.Reason switch
            {
                EnrolmentRefusal.BadSignature => "bad_signature",
                EnrolmentRefusal.SerialEnrolledElsewhere => "serial_enrolled_elsewhere",
                EnrolmentRefusal.NotInInventory => "not_in_inventory",
                EnrolmentRefusal.BoughtForAnotherSchool => "bought_for_another_school",
                _ => "invalid_request",
            }, null),
            _ => ("too_many_attempts", "", null),
        };
        Enrolments.Add(1, new("outcome", name), new("reason", reason), new("school.uai", device?.SchoolUai ?? ""));
        Activity.Current?.SetTag("enrolment.outcome", name);
        if (device is not null)
        {
            Activity.Current?.SetTag("school.uai", device.SchoolUai).SetTag("device.serial_number", device.SerialNumber);
        }

        return outcome;
    }

    /// <summary>
    /// The span of an import's planning, linked to the enrolment request of each of its devices: a trace of the
    /// sync run leads back to the requests it imported (the SDK keeps the first 128 links of a span).
    /// </summary>
    public static Activity? StartPlan(string importId, IReadOnlyCollection<PendingRegistration> devices)
    {
        var links = devices
            .Select(d => ActivityContext.TryParse(d.TraceParent, null, out var context) ? new ActivityLink(context) : default)
            .Where(l => l.Context != default)
            .ToList();
        return Source.StartActivity("plan import", ActivityKind.Internal, parentContext: default, links: links)?
            .SetTag("enrolment.import_id", importId).SetTag("enrolment.devices", devices.Count);
    }

    public static void Registered(string schoolUai) =>
        Registrations.Add(1, new("outcome", "registered"), new("error.code", ""), new("school.uai", schoolUai));

    public static void RegistrationFailed(string schoolUai, string errorCode) =>
        Registrations.Add(1, new("outcome", "failed"), new("error.code", errorCode), new("school.uai", schoolUai));

    public static void GraphRequest(bool write, int status)
    {
        GraphRequests.Add(1, new("kind", write ? "write" : "read"), new("http.response.status_code", status));
        if (status == 429)
        {
            GraphThrottled.Add(1);
        }
    }

    public static void Outbox(long devices, TimeSpan oldestAge)
    {
        OutboxDevices.Record(devices);
        OutboxOldestAge.Record(oldestAge.TotalSeconds);
    }

    public static void Queue(string queue, long messages) => QueueMessages.Record(messages, new KeyValuePair<string, object?>("queue", queue));

    public static void ReportBuilt(bool nightly) => ReportsBuilt.Add(1, new KeyValuePair<string, object?>("trigger", nightly ? "nightly" : "administrator"));

    public static void NightlyReportChecked(bool lastNightReady) => LastNightReady.Record(lastNightReady ? 1 : 0);
}
