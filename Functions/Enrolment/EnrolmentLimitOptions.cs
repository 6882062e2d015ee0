using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// Limits on enrolment attempts (section <c>EnrolmentLimits</c>), so that a flood of forged requests is cheap to refuse
/// and a stolen key's reach is bounded, while a whole school booting at once (500 devices in ten minutes, behind one
/// address) is never slowed.
/// </summary>
public sealed class EnrolmentLimitOptions
{
    public const string Section = "EnrolmentLimits";

    /// <summary>
    /// Refused enrolment attempts (bad or missing signature, stale timestamp, unknown key) one source address may make at
    /// once; a correctly signed attempt never spends them, so the schools behind one address never throttle each other.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PerSourceBurst { get; set; } = 600;

    /// <summary>Refused attempts one source address regains per minute after its burst (3,600 an hour).</summary>
    [Range(1, 1_000_000)]
    public int PerSourcePerMinute { get; set; } = 60;

    /// <summary>
    /// Attempts signed with one school's key that the school may make at once: the largest collège's whole roll-out
    /// (about 900 pupils) retried once. Forged requests never count here; it bounds the holder of a stolen key.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PerSchoolBurst { get; set; } = 2_000;

    /// <summary>Signed attempts a school regains per minute after its burst.</summary>
    [Range(1, 1_000_000)]
    public int PerSchoolPerMinute { get; set; } = 200;

    /// <summary>
    /// Status reads (<c>GET /api/enrolments/{serialNumber}</c>) one source address may make at once. Reads have their own
    /// bucket so that a school's devices waiting for Autopilot never use up its enrolment attempts.
    /// </summary>
    [Range(1, 1_000_000)]
    public int StatusPerSourceBurst { get; set; } = 1_000;

    /// <summary>Status reads a source address regains per minute: 500 devices behind one address asking every 30 s fit.</summary>
    [Range(1, 1_000_000)]
    public int StatusPerSourcePerMinute { get; set; } = 1_200;

    /// <summary>
    /// A signature that fails against a school's cached key ids is checked once more against storage (a key issued a
    /// moment ago) at most this often per school: forged requests cost no storage read beyond it.
    /// </summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Front Door mode (opt-in): the id of the Azure Front Door profile in front of the app (its <c>X-Azure-FDID</c>).
    /// When set, a request carrying exactly this id is counted by the client address Front Door writes
    /// (<c>X-Azure-ClientIP</c>); any other request by its connection's address. Empty (the default): the connection's
    /// address, which in Azure is the one the Functions host saw (see <see cref="ClientAddress"/>).
    /// </summary>
    public string FrontDoorId { get; set; } = "";
}
