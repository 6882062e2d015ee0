namespace Sarthe.Enrolment.Devices;

/// <summary>What the funding report needs of a device: its school, type and status history.</summary>
public readonly record struct DeviceReportFacts(string SchoolUai, string DeviceType, StatusHistory History);
