namespace Sarthe.Enrolment.Devices;

/// <summary>What the funding report needs of a device: its school, serial (joined with the inventory), type and status history.</summary>
public readonly record struct DeviceReportFacts(string SchoolUai, string SerialNumber, string DeviceType, StatusHistory History);
