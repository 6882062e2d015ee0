namespace Sarthe.Enrolment.Devices;

/// <summary>A school's devices by status, as the contract's <c>devices</c> object.</summary>
public sealed record DeviceCounts(int Received, int Registering, int Registered, int Failed)
{
    public int Total => Received + Registering + Registered + Failed;

    public static DeviceCounts Of(IEnumerable<DeviceStatus> statuses)
    {
        var byStatus = statuses.CountBy(s => s).ToDictionary();
        return new DeviceCounts(
            byStatus.GetValueOrDefault(DeviceStatus.Received),
            byStatus.GetValueOrDefault(DeviceStatus.Registering),
            byStatus.GetValueOrDefault(DeviceStatus.Registered),
            byStatus.GetValueOrDefault(DeviceStatus.Failed));
    }
}
