using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>What became of an enrolment: the enrolment function turns each into its HTTP answer.</summary>
public abstract record EnrolmentOutcome
{
    /// <summary>A first enrolment: the device is stored and in line for registration.</summary>
    public sealed record Accepted(Device Device) : EnrolmentOutcome;

    /// <summary>The same serial at the same school again: counted, nothing duplicated.</summary>
    public sealed record AlreadyEnrolled(Device Device) : EnrolmentOutcome;

    /// <summary>Refused before any effect (an audit entry aside), with the detail and, for invalid fields, the errors by field.</summary>
    public sealed record Refused(EnrolmentRefusal Reason, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null) : EnrolmentOutcome;

    /// <summary>Too many attempts from this source or for this school: try again after <see cref="RetryAfter"/>. No device was read or written.</summary>
    public sealed record TooManyAttempts(TimeSpan RetryAfter) : EnrolmentOutcome;
}

public enum EnrolmentRefusal
{
    /// <summary>Missing or malformed signature headers, a timestamp out of the window, or a signature no key of the school makes.</summary>
    BadSignature,

    /// <summary>Not a JSON object, an unknown or inactive school, or invalid fields.</summary>
    InvalidRequest,

    /// <summary>The serial number belongs to another school.</summary>
    SerialEnrolledElsewhere,
}
