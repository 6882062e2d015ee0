namespace Sarthe.Enrolment.Devices;

/// <summary>What a device says of itself at enrolment, validated: its kind, make, model, Autopilot hardware hash (canonical base64) and asset tag.</summary>
public sealed record DeviceDescription(string DeviceType, string Manufacturer, string Model, string HardwareHash, string? AssetTag);
