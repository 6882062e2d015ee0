namespace Sarthe.Enrolment.Devices;

/// <summary>Where a device's row is: its school (partition) and serial number (row key).</summary>
public readonly record struct DeviceKey(string SchoolUai, string SerialNumber);
