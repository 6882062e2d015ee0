using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Registration;

/// <summary>A device waiting in the outbox to be put in an import batch, with the audit event to publish when it is.</summary>
public sealed record PendingRegistration(DeviceRef Device, AuditEvent? Enrolled, string RowKey);
