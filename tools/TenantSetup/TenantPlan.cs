using Sarthe.Enrolment.Tenant;

namespace Sarthe.TenantSetup;

/// <summary>How the programme's devices are grouped: one group per school (its tag exactly) or one for the programme (a tag prefix).</summary>
public enum GroupLayout
{
    Programme,
    PerSchool,
}

/// <summary>
/// The deployment profile's settings (beta azureADWindowsAutopilotDeploymentProfile): Microsoft Entra join, OOBE in the
/// programme's language with the pages a pupil should not see hidden, a standard (not administrator) user, and a device
/// name template within Windows' 15 characters.
/// </summary>
public sealed record ProfileSettings(
    string DisplayName,
    string Description,
    string Language,
    string DeviceNameTemplate,
    string UserType,
    string DeviceUsageType,
    bool HidePrivacySettings,
    bool HideEula,
    bool SkipKeyboardSelectionPage,
    bool HideEscapeLink)
{
    /// <summary>The profile as Graph beta takes and answers it (only the members the programme sets).</summary>
    public Dictionary<string, object> ToGraph() => new()
    {
        ["@odata.type"] = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        ["displayName"] = DisplayName,
        ["description"] = Description,
        ["language"] = Language,
        ["deviceNameTemplate"] = DeviceNameTemplate,
        ["deviceType"] = "windowsPc",
        // The programme registers hardware hashes itself: no conversion of devices already enrolled.
        ["extractHardwareHash"] = false,
        ["outOfBoxExperienceSettings"] = new Dictionary<string, object>
        {
            ["hidePrivacySettings"] = HidePrivacySettings,
            ["hideEULA"] = HideEula,
            ["userType"] = UserType,
            ["deviceUsageType"] = DeviceUsageType,
            ["skipKeyboardSelectionPage"] = SkipKeyboardSelectionPage,
            ["hideEscapeLink"] = HideEscapeLink,
        },
    };
}

/// <summary>One dynamic device group the programme needs: its name, mail nickname and membership rule.</summary>
public sealed record GroupSpec(string DisplayName, string MailNickname, string MembershipRule);

/// <summary>Everything the tool brings the tenant to: the groups, and the profile assigned to each of them.</summary>
public sealed record TenantPlan(IReadOnlyList<GroupSpec> Groups, ProfileSettings Profile)
{
    public static TenantPlan For(GroupLayout layout, IEnumerable<string> schoolUais, string tagPrefix, string groupNamePrefix, ProfileSettings profile)
    {
        var groups = layout == GroupLayout.Programme
            ? [new GroupSpec(groupNamePrefix, Nickname(groupNamePrefix), GroupTagRule.ForTagPrefix(tagPrefix))]
            : schoolUais.Order(StringComparer.Ordinal).Select(uai => new GroupSpec($"{groupNamePrefix} {uai}", Nickname($"{groupNamePrefix}-{uai}"), GroupTagRule.ForTag(uai))).ToList();
        return new TenantPlan(groups, profile);
    }

    // mailNickname: ASCII letters, digits, '-', '_' and '.' only (group-post-groups.md: no spaces or @()\[]";:<>,).
    private static string Nickname(string name) =>
        new string(name.Normalize(System.Text.NormalizationForm.FormD).Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' || c == ' ').ToArray())
            .Replace(' ', '-').ToLowerInvariant();
}
