namespace Sarthe.Enrolment.Registration;

/// <summary>
/// A device waiting in the outbox to be put in an import, with its row's key and the trace context of the request
/// that put it there (W3C traceparent), so the import that takes it links back to that request.
/// </summary>
public sealed record PendingRegistration(DeviceRef Device, string RowKey, string? TraceParent = null);
