using System.Text.Json.Serialization;

namespace Sarthe.GraphEmulator;

/// <summary>
/// microsoft.graph.group as Graph v1.0 writes it, limited to what a dynamic device group needs (docs-contrib
/// api-reference/v1.0/resources/group.md; create: group-post-groups.md, whose example "Create a group with a dynamic
/// membership rule" sets groupTypes ["DynamicMembership"], membershipRule and membershipRuleProcessingState "On").
/// Also the body of a create or an update.
/// </summary>
public sealed class GroupResource
{
    public string? Id { get; set; }

    public string? DisplayName { get; set; }

    public string? Description { get; set; }

    public List<string>? GroupTypes { get; set; }

    public bool? MailEnabled { get; set; }

    public string? MailNickname { get; set; }

    public bool? SecurityEnabled { get; set; }

    public string? MembershipRule { get; set; }

    /// <summary>On or Paused (group.md).</summary>
    public string? MembershipRuleProcessingState { get; set; }

    public DateTimeOffset? CreatedDateTime { get; set; }
}

/// <summary>
/// microsoft.graph.azureADWindowsAutopilotDeploymentProfile (Microsoft Entra join) as Graph beta writes it (docs-contrib
/// api-reference/beta/resources/intune-enrollment-azureadwindowsautopilotdeploymentprofile.md, inheriting
/// windowsAutopilotDeploymentProfile). v1.0 has no profile collection (the v1.0 SDK has no request builder for it).
/// Also the body of a create or an update.
/// </summary>
public sealed class DeploymentProfileResource
{
    [JsonPropertyName("@odata.type")]
    public string? ODataType { get; set; } = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";

    public string? Id { get; set; }

    public string? DisplayName { get; set; }

    public string? Description { get; set; }

    /// <summary>The OOBE language, e.g. fr-FR, or "os-default".</summary>
    public string? Language { get; set; }

    public DateTimeOffset? CreatedDateTime { get; set; }

    public DateTimeOffset? LastModifiedDateTime { get; set; }

    public OutOfBoxExperienceSettingsResource? OutOfBoxExperienceSettings { get; set; }

    public bool? ExtractHardwareHash { get; set; }

    public string? DeviceNameTemplate { get; set; }

    /// <summary>windowsPc, surfaceHub2, holoLens (windowsAutopilotDeviceType).</summary>
    public string? DeviceType { get; set; }

    public bool? EnableWhiteGlove { get; set; }
}

/// <summary>microsoft.graph.outOfBoxExperienceSettings (beta resource page of the same name).</summary>
public sealed class OutOfBoxExperienceSettingsResource
{
    public bool? HidePrivacySettings { get; set; }

    public bool? HideEULA { get; set; }

    /// <summary>administrator or standard (windowsUserType).</summary>
    public string? UserType { get; set; }

    /// <summary>singleUser or shared (windowsDeviceUsageType).</summary>
    public string? DeviceUsageType { get; set; }

    public bool? SkipKeyboardSelectionPage { get; set; }

    public bool? HideEscapeLink { get; set; }
}

/// <summary>
/// microsoft.graph.windowsAutopilotDeploymentProfileAssignment (beta resource page): the profile assigned to a Microsoft
/// Entra group, whose target is a groupAssignmentTarget. Also the body of a create.
/// </summary>
public sealed class ProfileAssignmentResource
{
    [JsonPropertyName("@odata.type")]
    public string? ODataType { get; set; } = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";

    public string? Id { get; set; }

    public AssignmentTargetResource? Target { get; set; }
}

/// <summary>microsoft.graph.groupAssignmentTarget (or exclusionGroupAssignmentTarget): the group an assignment targets.</summary>
public sealed class AssignmentTargetResource
{
    [JsonPropertyName("@odata.type")]
    public string? ODataType { get; set; } = "#microsoft.graph.groupAssignmentTarget";

    public string? GroupId { get; set; }
}
