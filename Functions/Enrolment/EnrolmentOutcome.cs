using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>What became of a device's request (an enrolment, a status read): the enrolment functions turn each into its HTTP answer.</summary>
public abstract record EnrolmentOutcome
{
    /// <summary>
    /// A first enrolment: the device is stored and in line for registration, or held by the unknown-device policy; with
    /// what the purchase inventory says of its serial, when it knows it.
    /// </summary>
    public sealed record Accepted(Device Device, Inventory.InventoryView? Inventory = null) : EnrolmentOutcome;

    /// <summary>The same serial at the same school again: counted, nothing duplicated.</summary>
    public sealed record AlreadyEnrolled(Device Device) : EnrolmentOutcome;

    /// <summary>A failed device enrolled again with another hardware hash: the hash is replaced and registration starts again.</summary>
    public sealed record HashReplaced(Device Device) : EnrolmentOutcome;

    /// <summary>A status read: the device of this school with that serial number.</summary>
    public sealed record Found(Device Device) : EnrolmentOutcome;

    /// <summary>A status read: this school has no device with that serial number (whether another school has it is not said).</summary>
    public sealed record NotEnrolled(string SerialNumber) : EnrolmentOutcome;

    /// <summary>Refused before any effect (an audit entry aside), with the detail and, for invalid fields, the errors by field.</summary>
    public sealed record Refused(EnrolmentRefusal Reason, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null) : EnrolmentOutcome;

    /// <summary>Too many attempts from this source or for this school: try again after <see cref="RetryAfter"/>. No device was read or written.</summary>
    public sealed record TooManyAttempts(TimeSpan RetryAfter) : EnrolmentOutcome;
}

public enum EnrolmentRefusal
{
    /// <summary>Missing or malformed signature headers, a timestamp out of the window, or a signature no key of the school makes (or no school named).</summary>
    BadSignature,

    /// <summary>Not a JSON object, an unknown or inactive school, or invalid fields.</summary>
    InvalidRequest,

    /// <summary>The serial number belongs to another school.</summary>
    SerialEnrolledElsewhere,

    /// <summary>The serial number is not in the school's purchase inventory and the unknown-device policy is reject.</summary>
    NotInInventory,

    /// <summary>The serial number is in another school's purchase inventory (refused under every policy, contract v1.2).</summary>
    BoughtForAnotherSchool,
}
