using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Keys;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// What a first enrolment does when its serial is not in the school's purchase inventory (setting
/// <c>Enrolment:UnknownDevices</c>). A serial that the inventory gives to this school always enrols; one that it gives to
/// another school is refused (409) under every policy.
/// </summary>
public enum UnknownDevicePolicy
{
    /// <summary>Enrol as any device (the default; the product before the inventory existed).</summary>
    Accept,

    /// <summary>Store the device as held: nothing is sent to Graph until an administrator approves it.</summary>
    Hold,

    /// <summary>Refuse it (403): nothing is stored but an audit entry.</summary>
    Reject,
}

/// <summary>The policies' names in settings.</summary>
public static class UnknownDevicePolicies
{
    private static readonly Dictionary<string, UnknownDevicePolicy> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["accept"] = UnknownDevicePolicy.Accept,
        ["hold"] = UnknownDevicePolicy.Hold,
        ["reject"] = UnknownDevicePolicy.Reject,
    };

    public static string List => string.Join(", ", Names.Keys);

    public static UnknownDevicePolicy? Parse(string? name) => name is not null && Names.TryGetValue(name.Trim(), out var policy) ? policy : null;

    /// <summary>The policy the settings name (validated at start by <see cref="UnknownDevicePolicyValidation"/>).</summary>
    public static UnknownDevicePolicy Of(EnrolmentKeyOptions options) => Parse(options.UnknownDevices) ?? UnknownDevicePolicy.Accept;
}

/// <summary>Refuses to start with an unknown-device policy it does not know, naming the setting.</summary>
public sealed class UnknownDevicePolicyValidation : IValidateOptions<EnrolmentKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, EnrolmentKeyOptions options) =>
        UnknownDevicePolicies.Parse(options.UnknownDevices) is null
            ? ValidateOptionsResult.Fail($"Enrolment:UnknownDevices must be one of: {UnknownDevicePolicies.List} (not '{options.UnknownDevices}').")
            : ValidateOptionsResult.Success;
}
