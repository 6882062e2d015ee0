using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Keys;

/// <summary>
/// School enrolment keys, and what happens to devices the purchase inventory does not know (section <c>Enrolment</c>;
/// <see cref="UnknownDevices"/> is read and validated by the enrolment, <c>Enrolment/UnknownDevicePolicy.cs</c>).
/// </summary>
public sealed class EnrolmentKeyOptions : IValidatableObject
{
    public const string Section = "Enrolment";

    /// <summary>
    /// Base64 secret of at least 32 bytes (Key Vault reference in Azure). Every school key is derived from
    /// it, so storage never holds a key.
    /// </summary>
    [Required]
    public string MasterSecret { get; set; } = "";

    /// <summary>How long the previous key keeps working after a rotation.</summary>
    public TimeSpan RotationGracePeriod { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest accepted difference between a device's timestamp and server time.</summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// What a first enrolment of a serial that is not in the school's purchase inventory does: <c>accept</c> (enrol as
    /// any device), <c>hold</c> (stored as held, nothing sent to Graph until an administrator approves) or <c>reject</c>
    /// (403, nothing stored but an audit entry).
    /// </summary>
    public string UnknownDevices { get; set; } = "accept";

    /// <summary>
    /// The address devices call, written into every provisioning bundle (<c>https://&lt;app&gt;.azurewebsites.net</c>, or the
    /// custom domain in front of it): from configuration, never from a request's headers. The Bicep template fills it with
    /// the app's URL; the dev host with its own. Empty: a bundle must name its endpoint (<c>endpoint=</c>).
    /// </summary>
    public string PublicEndpoint { get; set; } = "";

    /// <summary><see cref="PublicEndpoint"/> as an address, null when not set (validated at start).</summary>
    public Uri? PublicEndpointUri => PublicEndpoint.Length == 0 ? null : EnrolmentEndpoint.Parse(PublicEndpoint, allowLoopbackHttp: true);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicEndpoint.Length > 0 && PublicEndpointUri is null)
        {
            yield return new ValidationResult($"Enrolment:PublicEndpoint must be {EnrolmentEndpoint.Rule} (http only for localhost), not '{PublicEndpoint}'.", [nameof(PublicEndpoint)]);
        }

        byte[]? bytes = null;
        try
        {
            bytes = Convert.FromBase64String(MasterSecret);
        }
        catch (FormatException)
        {
        }

        if (bytes is null || bytes.Length < 32)
        {
            yield return new ValidationResult("Enrolment:MasterSecret must be base64 of at least 32 random bytes.", [nameof(MasterSecret)]);
        }

        if (RotationGracePeriod < TimeSpan.Zero)
        {
            yield return new ValidationResult("Enrolment:RotationGracePeriod cannot be negative.", [nameof(RotationGracePeriod)]);
        }
    }
}
