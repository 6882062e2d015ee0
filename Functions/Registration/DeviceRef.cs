using System.Text.Json.Serialization;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Registration;

/// <summary>A device waiting in the outbox, and the attempt it waits for (a stale one is skipped).</summary>
public sealed record DeviceRef(string SerialNumber, string SchoolUai, int Attempt)
{
    [JsonIgnore]
    public DeviceKey Key => new(SchoolUai, SerialNumber);

    public static DeviceRef Of(Device device) => new(device.SerialNumber, device.SchoolUai, device.Attempt);
}
