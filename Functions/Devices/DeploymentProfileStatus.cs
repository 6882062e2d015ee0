namespace Sarthe.Enrolment.Devices;

/// <summary>
/// A registered device's deployment profile, in the contract's words. Autopilot reports it only in Graph beta
/// (<c>deploymentProfileAssignmentStatus</c> of windowsAutopilotDeviceIdentity: unknown, assignedInSync,
/// assignedOutOfSync, assignedUnkownSyncState, notAssigned, pending, failed); every "assigned…" value is assigned.
/// </summary>
public static class DeploymentProfileStatus
{
    public const string Unknown = "unknown";
    public const string NotAssigned = "notAssigned";
    public const string Pending = "pending";
    public const string Assigned = "assigned";
    public const string Failed = "failed";

    /// <summary>The contract's value for what Graph beta reports (null or unrecognised: unknown).</summary>
    public static string FromGraph(string? graphStatus) => graphStatus switch
    {
        null => Unknown,
        _ when graphStatus.StartsWith("assigned", StringComparison.OrdinalIgnoreCase) => Assigned,
        _ when graphStatus.Equals("notAssigned", StringComparison.OrdinalIgnoreCase) => NotAssigned,
        _ when graphStatus.Equals("pending", StringComparison.OrdinalIgnoreCase) => Pending,
        _ when graphStatus.Equals("failed", StringComparison.OrdinalIgnoreCase) => Failed,
        _ => Unknown,
    };

    /// <summary>Nothing more will change by waiting: assigned or failed.</summary>
    public static bool IsFinal(string status) => status is Assigned or Failed;
}
