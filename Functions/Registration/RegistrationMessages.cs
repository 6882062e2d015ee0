using System.Text.Json;
using System.Text.Json.Serialization;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Registration;

/// <summary>One device of a registration message; <see cref="Attempt"/> tells stale messages apart.</summary>
public sealed record DeviceRef(string SerialNumber, string SchoolUai, int Attempt, string? ImportedIdentityId = null)
{
    [JsonIgnore]
    public DeviceKey Key => new(SchoolUai, SerialNumber);

    public static DeviceRef Of(Device device) => new(device.SerialNumber, device.SchoolUai, device.Attempt, device.ImportedIdentityId);
}

/// <summary>A message of the registration queue: import a batch of devices, or check one import.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(RegisterBatchCommand), "register")]
[JsonDerivedType(typeof(CheckImportCommand), "check")]
public abstract record RegistrationMessage
{
    public abstract IReadOnlyList<DeviceRef> Devices { get; }

    public string ToJson() => JsonSerializer.Serialize(this, ApiJson.Options);

    /// <summary>Null when the text is not a registration message.</summary>
    public static RegistrationMessage? Parse(string text)
    {
        try
        {
            var message = JsonSerializer.Deserialize<RegistrationMessage>(text, ApiJson.Options);
            return message is not null && message.Devices.All(d => !string.IsNullOrEmpty(d.SerialNumber) && !string.IsNullOrEmpty(d.SchoolUai))
                ? message
                : null;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return null;
        }
    }
}

/// <summary>Import these devices into Autopilot: one Graph write for the whole batch.</summary>
/// <remarks><see cref="Throttled"/> counts the 429s met so far, so the back-off doubles.</remarks>
public sealed record RegisterBatchCommand(string BatchId, IReadOnlyList<DeviceRef> Items, int Throttled = 0) : RegistrationMessage
{
    public override IReadOnlyList<DeviceRef> Devices => Items;
}

/// <summary>Look at the state of the devices of one import (<see cref="ImportId"/>), for the <see cref="Poll"/>-th time.</summary>
public sealed record CheckImportCommand(string ImportId, int Poll, IReadOnlyList<DeviceRef> Items, int Throttled = 0) : RegistrationMessage
{
    public override IReadOnlyList<DeviceRef> Devices => Items;
}
