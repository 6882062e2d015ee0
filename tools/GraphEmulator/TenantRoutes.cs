using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Sarthe.GraphEmulator;

/// <summary>
/// The tenant's side of Autopilot: the licence and permission answers of deviceManagement, v1.0 groups (list filtered
/// by display name, get, create, update) and beta deployment profiles with their assignments (list, get, create,
/// update). Sources in the README's table.
/// </summary>
internal static partial class TenantRoutes
{
    private const string Groups = "groups";
    private const string Profiles = "windowsAutopilotDeploymentProfiles";
    private const string Assignments = "assignments";

    /// <summary>The answer for a tenant route, or for a deployment-management request the tenant refuses; null for the other routes.</summary>
    public static IResult? Route(HttpContext context, GraphEmulatorState state, string[] s, string method, string body)
    {
        var options = state.Options;
        if (s.Length >= 2 && GraphRoutes.Is(s[1], GraphRoutes.DeviceManagement))
        {
            if (!options.IntuneLicensed)
            {
                // Intune's generic Forbidden wrapped in UnknownError, naming no scope (MSAL.js #1261, #7007).
                return GraphErrors.Graph(context, 403, "UnknownError",
                    JsonSerializer.Serialize(new { ErrorCode = "Forbidden", Message = GraphErrors.IntuneMessage(context, GraphErrors.GenericIntuneText), Target = (string?)null }));
            }

            if (!options.ServiceConfigGranted)
            {
                return GraphErrors.Graph(context, 403, "Forbidden",
                    "Application must have one of the following scopes: DeviceManagementServiceConfig.Read.All, DeviceManagementServiceConfig.ReadWrite.All");
            }

            return s.Length >= 3 && GraphRoutes.Is(s[0], GraphRoutes.Beta) && GraphRoutes.Is(s[2], Profiles) ? RouteProfiles(context, state, s, method, body) : null;
        }

        if (s.Length >= 2 && GraphRoutes.Is(s[0], GraphRoutes.V1) && GraphRoutes.Is(s[1], Groups))
        {
            if (!options.GroupReadGranted)
            {
                return GraphErrors.Graph(context, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
            }

            return RouteGroups(context, state, s, method, body);
        }

        return null;
    }

    // ---- groups (v1.0) -----------------------------------------------------------------------------------------

    private static IResult RouteGroups(HttpContext context, GraphEmulatorState state, string[] s, string method, string body) => s.Length switch
    {
        2 when GraphRoutes.Is(method, "GET") => ListGroups(context, state),
        2 when GraphRoutes.Is(method, "POST") => CreateGroup(context, state, body),
        3 when GraphRoutes.Is(method, "GET") => GetGroup(context, state, s[2]),
        3 when GraphRoutes.Is(method, "PATCH") => UpdateGroup(context, state, s[2], body),
        2 or 3 => GraphErrors.Graph(context, 405, "Request_BadRequest", $"The HTTP method '{method}' is not supported here."),
        _ => GraphRoutes.SegmentNotFound(context, s[^1]),
    };

    /// <summary>
    /// GET /groups: the emulator accepts <c>$filter=displayName eq '…'</c> (group-list.md's example) and <c>$select</c>;
    /// any other option is refused rather than guessed.
    /// </summary>
    private static IResult ListGroups(HttpContext context, GraphEmulatorState state)
    {
        var query = QueryHelpers.ParseQuery(context.Request.QueryString.Value);
        if (query.Keys.FirstOrDefault(k => k is not ("$filter" or "$select")) is { } other)
        {
            return GraphErrors.Graph(context, 400, "Request_UnsupportedQuery", $"The emulator does not serve {other} on /groups.");
        }

        IEnumerable<GroupResource> groups = state.Tenant.Groups;
        if (query.TryGetValue("$filter", out var filter))
        {
            if (DisplayNameEquals().Match(filter.ToString()) is not { Success: true } match)
            {
                return GraphErrors.Graph(context, 400, "Request_UnsupportedQuery", "The emulator serves only $filter=displayName eq '…' on /groups.");
            }

            var name = match.Groups["name"].Value.Replace("''", "'", StringComparison.Ordinal);
            // Directory string comparisons ignore case (group-list.md, "Optional query parameters").
            groups = groups.Where(g => string.Equals(g.DisplayName, name, StringComparison.OrdinalIgnoreCase));
        }

        return GraphRoutes.Collection(context, (groups.ToList(), null), GraphRoutes.V1, Groups);
    }

    private static IResult GetGroup(HttpContext context, GraphEmulatorState state, string id) =>
        state.Tenant.Group(id) is { } group
            ? GraphRoutes.Entity(context, group, GraphRoutes.V1, $"{Groups}/$entity")
            : GraphErrors.Graph(context, 404, "Request_ResourceNotFound", $"Resource '{id}' does not exist or one of its queried reference-property objects are not present.");

    /// <summary>group-post-groups.md: displayName, mailEnabled, mailNickname and securityEnabled are required; a dynamic group needs its rule.</summary>
    private static IResult CreateGroup(HttpContext context, GraphEmulatorState state, string body)
    {
        if (GraphRoutes.ReadBody<GroupResource>(body) is not { DisplayName.Length: > 0, MailEnabled: not null, MailNickname.Length: > 0, SecurityEnabled: not null } group)
        {
            return GraphErrors.Graph(context, 400, "Request_BadRequest", "displayName, mailEnabled, mailNickname and securityEnabled are required.");
        }

        if (group.GroupTypes?.Contains("DynamicMembership", StringComparer.OrdinalIgnoreCase) == true && string.IsNullOrWhiteSpace(group.MembershipRule))
        {
            return GraphErrors.Graph(context, 400, "Request_BadRequest", "A dynamic group needs a membershipRule.");
        }

        return GraphRoutes.Entity(context, state.Tenant.CreateGroup(group), GraphRoutes.V1, $"{Groups}/$entity", 201);
    }

    /// <summary>group-update.md: 204 No Content.</summary>
    private static IResult UpdateGroup(HttpContext context, GraphEmulatorState state, string id, string body) =>
        GraphRoutes.ReadBody<GroupResource>(body) is not { } change
            ? GraphErrors.Graph(context, 400, "Request_BadRequest", "Write request body is not valid.")
            : state.Tenant.UpdateGroup(id, change)
                ? Results.NoContent()
                : GraphErrors.Graph(context, 404, "Request_ResourceNotFound", $"Resource '{id}' does not exist or one of its queried reference-property objects are not present.");

    // ---- windowsAutopilotDeploymentProfiles (beta) --------------------------------------------------------------

    private static IResult RouteProfiles(HttpContext context, GraphEmulatorState state, string[] s, string method, string body)
    {
        if (context.Request.Query.Count > 0)
        {
            // Nothing here needs a query option: refused so that the product cannot come to depend on one.
            return GraphErrors.Intune(context, 400, "BadRequest");
        }

        return s.Length switch
        {
            3 when GraphRoutes.Is(method, "GET") => GraphRoutes.Collection(context, (state.Tenant.Profiles, null), GraphRoutes.Beta, $"{GraphRoutes.DeviceManagement}/{Profiles}"),
            3 when GraphRoutes.Is(method, "POST") => CreateProfile(context, state, body),
            4 when GraphRoutes.Is(method, "GET") => state.Tenant.Profile(s[3]) is { } profile
                ? GraphRoutes.Entity(context, profile, GraphRoutes.Beta, $"{GraphRoutes.DeviceManagement}/{Profiles}/$entity")
                : GraphErrors.Intune(context, 404, "ResourceNotFound"),
            4 when GraphRoutes.Is(method, "PATCH") => UpdateProfile(context, state, s[3], body),
            5 when GraphRoutes.Is(s[4], Assignments) && GraphRoutes.Is(method, "GET") => state.Tenant.AssignmentsOf(s[3]) is { } assignments
                ? GraphRoutes.Collection(context, (assignments, null), GraphRoutes.Beta, $"{GraphRoutes.DeviceManagement}/{Profiles}('{s[3]}')/{Assignments}")
                : GraphErrors.Intune(context, 404, "ResourceNotFound"),
            5 when GraphRoutes.Is(s[4], Assignments) && GraphRoutes.Is(method, "POST") => CreateAssignment(context, state, s[3], body),
            3 or 4 or 5 => GraphErrors.Graph(context, 400, "No method match route template", $"No OData route exists for {method.ToUpperInvariant()} {context.Request.Path}."),
            _ => GraphRoutes.SegmentNotFound(context, s[^1]),
        };
    }

    /// <summary>…-azureadwindowsautopilotdeploymentprofile-create.md: 201 and the profile.</summary>
    private static IResult CreateProfile(HttpContext context, GraphEmulatorState state, string body) =>
        GraphRoutes.ReadBody<DeploymentProfileResource>(body) is { DisplayName.Length: > 0 } profile
            ? GraphRoutes.Entity(context, state.Tenant.CreateProfile(profile), GraphRoutes.Beta, $"{GraphRoutes.DeviceManagement}/{Profiles}/$entity", 201)
            : GraphErrors.Graph(context, 400, "BadRequest", "Write request body is not valid.");

    /// <summary>…-update.md: 200 and the updated profile.</summary>
    private static IResult UpdateProfile(HttpContext context, GraphEmulatorState state, string id, string body) =>
        GraphRoutes.ReadBody<DeploymentProfileResource>(body) is not { } change
            ? GraphErrors.Graph(context, 400, "BadRequest", "Write request body is not valid.")
            : state.Tenant.UpdateProfile(id, change) is { } updated
                ? GraphRoutes.Entity(context, updated, GraphRoutes.Beta, $"{GraphRoutes.DeviceManagement}/{Profiles}/$entity")
                : GraphErrors.Intune(context, 404, "ResourceNotFound");

    /// <summary>…-windowsautopilotdeploymentprofileassignment-create.md: 201; the target must name a group that exists.</summary>
    private static IResult CreateAssignment(HttpContext context, GraphEmulatorState state, string profileId, string body)
    {
        if (GraphRoutes.ReadBody<ProfileAssignmentResource>(body) is not { Target.GroupId.Length: > 0 } assignment)
        {
            return GraphErrors.Graph(context, 400, "BadRequest", "Write request body is not valid.");
        }

        if (state.Tenant.Group(assignment.Target!.GroupId!) is null)
        {
            return GraphErrors.Intune(context, 400, "BadRequest");
        }

        return state.Tenant.Assign(profileId, assignment) is { } created
            ? GraphRoutes.Entity(context, created, GraphRoutes.Beta, $"{GraphRoutes.DeviceManagement}/{Profiles}('{profileId}')/{Assignments}/$entity", 201)
            : GraphErrors.Intune(context, 404, "ResourceNotFound");
    }

    [GeneratedRegex(@"^\s*displayName\s+eq\s+'(?<name>(?:[^']|'')*)'\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex DisplayNameEquals();
}
