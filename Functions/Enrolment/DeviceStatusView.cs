using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Registration;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// A device's own view of its registration (contract v1.1, <c>GET /api/enrolments/{serialNumber}</c> and the repeat
/// enrolment's answer): what a device at first boot needs to decide whether it may restart into Autopilot, and nothing
/// of the administrators' record beyond it (no Graph ids, no error message, no asset tag, no count).
/// </summary>
public sealed record DeviceStatusView(
    string SerialNumber,
    string SchoolUai,
    DeviceStatus Status,
    string DeploymentProfile,
    bool ReadyToProvision,
    string? LastErrorCode,
    int? RetryAfterSeconds)
{
    public static DeviceStatusView From(Device device, RegistrationOptions pipeline, DateTimeOffset now) => new(
        device.SerialNumber,
        device.SchoolUai,
        device.Status,
        device.Status == DeviceStatus.Registered ? device.ProfileStatus : DeploymentProfileStatus.Unknown,
        device.ReadyToProvision,
        device.Status == DeviceStatus.Failed ? device.LastError?.Code : null,
        RetryAfter(device, pipeline, now) is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : null);

    /// <summary>How often a held device is told to ask again: an administrator's approval takes minutes at best.</summary>
    public static readonly TimeSpan HeldCheckInterval = TimeSpan.FromMinutes(5);

    /// <summary>
    /// When asking again may tell something new: the pace at which the pipeline looks at Autopilot while the device is
    /// on its way; for a held device, every few minutes (an administrator approves it); for a failure the pipeline
    /// retries by itself, when it will; none when ready, nor when nothing will change without someone (a failure it
    /// does not retry, a deployment profile that failed, a deregistered device).
    /// </summary>
    private static TimeSpan? RetryAfter(Device device, RegistrationOptions pipeline, DateTimeOffset now)
    {
        if (device.ReadyToProvision || device.Status == DeviceStatus.Deregistered || (device.Status == DeviceStatus.Registered && device.ProfileStatus == DeploymentProfileStatus.Failed))
        {
            return null;
        }

        if (device.Status == DeviceStatus.Held)
        {
            // Waiting for a person, not for the pipeline: no use asking at the pipeline's pace.
            return HeldCheckInterval > pipeline.AutopilotCheckInterval ? HeldCheckInterval : pipeline.AutopilotCheckInterval;
        }

        if (device.Status != DeviceStatus.Failed)
        {
            return pipeline.AutopilotCheckInterval;
        }

        var retriedByPipeline = device.LastError is { } error && ImportDecisions.TransientFailures.Contains(error.Code) && device.Attempt < pipeline.MaxAutomaticAttempts;
        if (!retriedByPipeline)
        {
            return null;
        }

        var untilRetry = (device.FailedAt ?? now) + pipeline.AutomaticRetryAfter - now;
        return untilRetry > pipeline.AutopilotCheckInterval ? untilRetry : pipeline.AutopilotCheckInterval;
    }
}
