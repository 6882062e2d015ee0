namespace Sarthe.Enrolment.Devices;

/// <summary>
/// A school's devices by status, as the contract's <c>devices</c> object, and how many of the registered ones have
/// their deployment profile assigned (ready to restart into Autopilot). <see cref="Held"/> (devices the unknown-device
/// policy holds) is a member beside the contract's; the total counts them too.
/// </summary>
public sealed record DeviceCounts(int Received, int Registering, int Registered, int Failed, int ReadyToProvision)
{
    public int Held { get; init; }

    public int Total => Received + Registering + Registered + Failed + Held;

    public static DeviceCounts Of(IEnumerable<Device> devices)
    {
        int received = 0, registering = 0, registered = 0, failed = 0, ready = 0, held = 0;
        foreach (var device in devices)
        {
            switch (device.Status)
            {
                case DeviceStatus.Received: received++; break;
                case DeviceStatus.Registering: registering++; break;
                case DeviceStatus.Registered:
                    registered++;
                    ready += device.ReadyToProvision ? 1 : 0;
                    break;
                case DeviceStatus.Failed: failed++; break;
                case DeviceStatus.Held: held++; break;
            }
        }

        return new DeviceCounts(received, registering, registered, failed, ready) { Held = held };
    }
}
