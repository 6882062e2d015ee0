namespace Sarthe.Enrolment.Devices;

/// <summary>Why a device's registration failed: Graph's code (or the pipeline's), a message, and when.</summary>
public sealed record DeviceError(string Code, string Message, DateTimeOffset At);
