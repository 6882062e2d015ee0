namespace Sarthe.Enrolment.Devices;

/// <summary>One page of a school's devices, in serial order.</summary>
public sealed record DevicePage(IReadOnlyList<DeviceRecord> Items, string? ContinuationToken);
