namespace Sarthe.Enrolment.Registration;

/// <summary>A device waiting in the outbox to be put in an import, with its row's key.</summary>
public sealed record PendingRegistration(DeviceRef Device, string RowKey);
