using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Registration;

/// <summary>The Autopilot registration pipeline (section <c>Registration</c>).</summary>
public sealed class RegistrationOptions
{
    public const string Section = "Registration";

    /// <summary>
    /// Devices per Autopilot import (one Graph write each); 1 = one create per device (no batching). 500, the most the
    /// portal takes in one CSV (Graph documents no limit for the import action): Intune processes imports a few at a
    /// time, each taking a minute or more, so few large imports finish a storm soonest. A body of 500 hashes is about
    /// 2.8 MB, under Graph's 4 MB request limit.
    /// </summary>
    [Range(1, 500)]
    public int ImportBatchSize { get; set; } = 500;

    /// <summary>
    /// Imports planned but not yet sent, at the most: beyond it the outbox keeps the devices in arrival order (and a
    /// device still waiting there can be retried or removed without touching an import).
    /// </summary>
    [Range(1, 1000)]
    public int MaxReadyImports { get; set; } = 10;

    /// <summary>
    /// Imports Intune is processing at once, at the most: another is sent only when fewer have identities still being
    /// processed. Microsoft's guidance for CSV imports is one batch at a time, checking that it registered before
    /// sending more (1); Intune processes a few imports side by side, so a few in flight finish a storm sooner, each
    /// one more holding up to <see cref="ImportBatchSize"/> devices that a refused or slow import keeps waiting
    /// (docs/benchmarks.md, "Imports in flight").
    /// </summary>
    [Range(1, 20)]
    public int MaxImportsInFlight { get; set; } = 4;

    /// <summary>Longest one run of the Autopilot sync keeps working before it leaves the rest to the next tick.</summary>
    public TimeSpan MaxSyncRun { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// First look at an import's state after it was sent: Intune takes a minute or more (Microsoft's tools wait
    /// 15-30 s between looks; observed imports took 60-95 s).
    /// </summary>
    public TimeSpan FirstCheckDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Between looks at the state of the imports in flight (one look covers them all).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Looks that found an identity still being processed before the device fails with ImportTimedOut (Graph answering).</summary>
    [Range(1, 100_000)]
    public int MaxPolls { get; set; } = 240;

    /// <summary>Between looks at Autopilot for imported devices (visible yet?) and registered ones (profile assigned yet?).</summary>
    public TimeSpan AutopilotCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Looks that did not find an imported device in Autopilot before it fails with NotVisibleInAutopilot.</summary>
    [Range(1, 100_000)]
    public int MaxVisibilityScans { get; set; } = 120;

    /// <summary>Looks that did not find a registered device's profile settled before the profile is no longer followed.</summary>
    [Range(1, 100_000)]
    public int MaxProfileScans { get; set; } = 240;

    /// <summary>Sends of the same device within one import (Intune's StorageError asks to try again later) before it fails.</summary>
    [Range(1, 20)]
    public int MaxImportRounds { get; set; } = 5;

    /// <summary>A device received or registering, unchanged for this long, is driven again by the sweep.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>First wait when Graph throttles without Retry-After, or fails (5xx, no answer); doubles up to <see cref="MaxGraphBackoff"/>.</summary>
    public TimeSpan GraphBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest wait between two tries while Graph is failing: once Graph answers again, the pipeline resumes within
    /// this long.
    /// </summary>
    public TimeSpan MaxGraphBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Attempts the pipeline itself makes for a device that failed for a reason that passes (StorageError, ImportTimedOut, …).</summary>
    [Range(1, 10)]
    public int MaxAutomaticAttempts { get; set; } = 3;

    /// <summary>How long such a device stays failed before the sweep retries it (while Graph answers).</summary>
    public TimeSpan AutomaticRetryAfter { get; set; } = TimeSpan.FromMinutes(15);
}
