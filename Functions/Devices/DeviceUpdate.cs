namespace Sarthe.Enrolment.Devices;

/// <summary>What an update found: the device as stored afterwards (null when there is none), and whether the transition changed it.</summary>
public readonly record struct DeviceUpdate(Device? Device, bool Changed);
