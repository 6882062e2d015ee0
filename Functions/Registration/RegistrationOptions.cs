using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Registration;

/// <summary>The Graph registration pipeline (section <c>Registration</c>).</summary>
public sealed class RegistrationOptions
{
    public const string Section = "Registration";

    /// <summary>Devices per Autopilot import action. 1 switches batching off: one Graph create per device.</summary>
    [Range(1, 500)]
    public int ImportBatchSize { get; set; } = 100;

    /// <summary>
    /// The dispatcher stops adding import batches while the registration queue holds this many messages:
    /// back-pressure that keeps the queue shallow while Graph throttles.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxQueuedMessages { get; set; } = 50;

    /// <summary>Longest a dispatcher run keeps taking batches before it leaves the rest to the next tick.</summary>
    public TimeSpan MaxDispatchRun { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Delay before the first look at an import's state (Intune takes a while to process).</summary>
    public TimeSpan FirstPollDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Delay between later looks.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Looks at an import before it is declared failed (ImportTimedOut).</summary>
    [Range(1, 10_000)]
    public int MaxPolls { get; set; } = 40;

    /// <summary>A device received or registering, unchanged for this long, is driven again by the sweep.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>First back-off when Graph throttles without Retry-After; doubles up to <see cref="MaxThrottleBackoff"/>.</summary>
    public TimeSpan ThrottleBackoff { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxThrottleBackoff { get; set; } = TimeSpan.FromMinutes(2);
}
