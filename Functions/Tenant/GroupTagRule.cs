using System.Text.RegularExpressions;

namespace Sarthe.Enrolment.Tenant;

/// <summary>
/// The dynamic membership rules that put Autopilot devices into a group by their group tag, written and read in one place.
/// Intune's group tag is the device's <c>[OrderID]</c> physical id; Microsoft's rules (memdocs autopilot/enrollment-autopilot.md,
/// "Create an Autopilot device group") are <c>(device.devicePhysicalIds -any (_ -eq "[OrderID]:tag"))</c> for one tag and
/// <c>(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))</c> for every Autopilot device; <c>-startsWith</c> on
/// <c>[OrderID]:</c> matches a family of tags (Niehaus, "Fun with Windows Autopilot Group Tags", oofhours.com).
/// </summary>
public static partial class GroupTagRule
{
    private const string OrderIdPrefix = "[OrderID]:";
    private const string ZtdIdPrefix = "[ZTDid]";

    /// <summary>The rule for the devices of one school: its tag exactly.</summary>
    public static string ForTag(string tag) => $"(device.devicePhysicalIds -any (_ -eq \"{OrderIdPrefix}{tag}\"))";

    /// <summary>The rule for the programme's devices: every tag that starts with <paramref name="tagPrefix"/> (e.g. 072, Sarthe's UAIs).</summary>
    public static string ForTagPrefix(string tagPrefix) => $"(device.devicePhysicalIds -any (_ -startsWith \"{OrderIdPrefix}{tagPrefix}\"))";

    /// <summary>
    /// Whether devices tagged <paramref name="tag"/> satisfy <paramref name="rule"/>: true or false when the rule is one or
    /// more <c>devicePhysicalIds -any</c> clauses joined by <c>-or</c>; null for anything else (another property, -and,
    /// -not, -match…), which a person must read. Values compare ignoring case, as dynamic rules do.
    /// </summary>
    public static bool? Covers(string? rule, string tag)
    {
        if (string.IsNullOrWhiteSpace(rule))
        {
            return null;
        }

        var clauses = OrSeparator().Split(rule.Trim());
        var covers = false;
        foreach (var clause in clauses)
        {
            if (Clause().Match(clause.Trim()) is not { Success: true } match)
            {
                return null;
            }

            var value = match.Groups["value"].Value;
            covers |= match.Groups["op"].Value.ToLowerInvariant() switch
            {
                "eq" => string.Equals(value, OrderIdPrefix + tag, StringComparison.OrdinalIgnoreCase),
                "startswith" => (OrderIdPrefix + tag).StartsWith(value, StringComparison.OrdinalIgnoreCase)
                                || value.StartsWith(ZtdIdPrefix, StringComparison.OrdinalIgnoreCase),
                // "-contains [ZTDId]": every Autopilot device (a rule seen in the field for the same group).
                _ => value.StartsWith(ZtdIdPrefix, StringComparison.OrdinalIgnoreCase) || (OrderIdPrefix + tag).Contains(value, StringComparison.OrdinalIgnoreCase),
            };
        }

        return covers;
    }

    // One clause, with or without the outer parentheses and those around "_ -op value".
    [GeneratedRegex("""^\(?\s*device\.devicePhysicalIds\s+-any\s+\(?\s*_\s+-(?<op>eq|startsWith|contains)\s+"(?<value>[^"]*)"\s*\)?\s*\)?$""", RegexOptions.IgnoreCase)]
    private static partial Regex Clause();

    [GeneratedRegex(@"\s+-?or\s+", RegexOptions.IgnoreCase)]
    private static partial Regex OrSeparator();
}
