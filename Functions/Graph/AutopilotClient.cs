using Microsoft.Graph;
using Microsoft.Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import;
using Microsoft.Graph.DeviceManagement.WindowsAutopilotDeviceIdentities.Item.UpdateDeviceProperties;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace Sarthe.Enrolment.Graph;

/// <summary>
/// Every Microsoft Graph call the product makes, on the real Graph SDK client: the whole Graph surface of the
/// product is this file. Only operations Microsoft documents are used (Graph v1.0 reference,
/// intune-enrollment-importedwindowsautopilotdeviceidentity-* and -windowsautopilotdeviceidentity-*), plus one
/// beta read for the deployment profile's assignment, which v1.0 lacks. Nothing relies on a filter of imported
/// identities (none is documented), on <c>eq</c> filters (refused by Intune) or on a page size.
/// </summary>
public sealed class AutopilotClient(GraphServiceClient graph, Microsoft.Extensions.Options.IOptions<GraphOptions> options)
{
    /// <summary>
    /// One import for the whole batch: the import action (one Graph write, whatever its size), or one create when
    /// the batch is a single device, as per-device scripts do. Returns each item's imported identity id, in order.
    /// Sent once: the SDK's retry handler is off for this request (<see cref="NoTransportRetry"/>).
    /// </summary>
    public async Task<IReadOnlyList<string>> ImportAsync(IReadOnlyList<AutopilotImportItem> items, string importId, CancellationToken cancellationToken)
    {
        if (items.Count == 1)
        {
            var created = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(ToIdentity(items[0], importId), NoTransportRetry, cancellationToken);
            return [created?.Id ?? throw new InvalidOperationException("Graph created an identity without an id.")];
        }

        var response = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import.PostAsImportPostResponseAsync(
            new ImportPostRequestBody { ImportedWindowsAutopilotDeviceIdentities = items.Select(i => ToIdentity(i, importId)).ToList() },
            NoTransportRetry, cancellationToken);
        var value = response?.Value ?? [];
        if (value.Count != items.Count)
        {
            throw new InvalidOperationException($"Graph answered an import of {items.Count} devices with {value.Count} identities.");
        }

        // Graph answers in request order; each item takes the first unclaimed identity of its serial number, so a
        // serial twice in one batch gets two identities rather than an exception.
        var bySerial = value.Select((identity, index) => (identity, index))
            .ToLookup(v => v.identity.SerialNumber ?? items[v.index].SerialNumber, StringComparer.OrdinalIgnoreCase);
        var claimed = new HashSet<int>();
        return items.Select((item, index) =>
        {
            var match = bySerial[item.SerialNumber].Select(v => v.index).Where(i => !claimed.Contains(i)).DefaultIfEmpty(index).First();
            claimed.Add(match);
            return value[match].Id ?? throw new InvalidOperationException("Graph imported an identity without an id.");
        }).ToList();
    }

    /// <summary>Every imported identity of the tenant (the list, page after page): Graph documents no filter here.</summary>
    public async Task<AutopilotListing<AutopilotImportState>> ListImportedAsync(CancellationToken cancellationToken)
    {
        var states = new List<AutopilotImportState>();
        var pages = 0;
        var page = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.GetAsync(cancellationToken: cancellationToken);
        while (page is not null)
        {
            pages++;
            states.AddRange((page.Value ?? []).Select(ToState));
            if (page.OdataNextLink is null)
            {
                break;
            }

            page = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.WithUrl(page.OdataNextLink).GetAsync(cancellationToken: cancellationToken);
        }

        return new AutopilotListing<AutopilotImportState>(states, pages);
    }

    /// <summary>One imported identity's state; <see cref="AutopilotImportState.Missing"/> when it no longer exists.</summary>
    public async Task<AutopilotImportState> GetImportedAsync(string identityId, CancellationToken cancellationToken)
    {
        try
        {
            var identity = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[identityId].GetAsync(cancellationToken: cancellationToken);
            return identity is null ? AutopilotImportState.MissingFor(identityId) : ToState(identity);
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            return AutopilotImportState.MissingFor(identityId);
        }
    }

    /// <summary>
    /// Removes an imported identity once its outcome is known, as Microsoft's WindowsAutopilotIntune module does for
    /// every record, successful or not. An identity already gone counts as removed.
    /// </summary>
    public async Task DeleteImportedAsync(string identityId, CancellationToken cancellationToken)
    {
        try
        {
            await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[identityId].DeleteAsync(cancellationToken: cancellationToken);
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
        }
    }

    /// <summary>
    /// Every Autopilot device of the tenant, page after page, with its deployment profile's assignment when
    /// <see cref="GraphOptions.ReadProfileStatus"/> is on (the same list read from Graph beta, through this client).
    /// </summary>
    public async Task<AutopilotListing<AutopilotDevice>> ListDevicesAsync(CancellationToken cancellationToken)
    {
        var devices = new List<AutopilotDevice>();
        var pages = 0;
        var builder = graph.DeviceManagement.WindowsAutopilotDeviceIdentities;
        var page = options.Value.ReadProfileStatus
            ? await builder.WithUrl(BetaUrl("deviceManagement/windowsAutopilotDeviceIdentities")).GetAsync(cancellationToken: cancellationToken)
            : await builder.GetAsync(cancellationToken: cancellationToken);
        while (page is not null)
        {
            pages++;
            devices.AddRange((page.Value ?? []).Select(ToDevice));
            if (page.OdataNextLink is null)
            {
                break;
            }

            page = await builder.WithUrl(page.OdataNextLink).GetAsync(cancellationToken: cancellationToken);
        }

        return new AutopilotListing<AutopilotDevice>(devices, pages);
    }

    /// <summary>
    /// The Autopilot device of one serial number, with <c>contains(serialNumber,…)</c>, the only filter Microsoft
    /// says the service supports (and its own module uses). Null when not found. Throws for serials the service
    /// cannot filter (with a hyphen: a known service issue), which the caller finds by listing instead. Serials are
    /// unique only per manufacturer: the device <paramref name="preferredId"/> names (Intune's deviceRegistrationId),
    /// when given and among the matches, is the one.
    /// </summary>
    public async Task<AutopilotDevice?> FindDeviceAsync(string serialNumber, CancellationToken cancellationToken, string? preferredId = null)
    {
        if (!CanFilterBySerial(serialNumber))
        {
            throw new ArgumentException($"Serial number {serialNumber} cannot be searched with contains(): list the devices instead.", nameof(serialNumber));
        }

        var filter = $"contains(serialNumber,'{serialNumber.Replace("'", "''", StringComparison.Ordinal)}')";
        var builder = graph.DeviceManagement.WindowsAutopilotDeviceIdentities;
        var page = options.Value.ReadProfileStatus
            ? await builder.WithUrl(BetaUrl("deviceManagement/windowsAutopilotDeviceIdentities") + "?$filter=" + Uri.EscapeDataString(filter)).GetAsync(cancellationToken: cancellationToken)
            : await builder.GetAsync(r => r.QueryParameters.Filter = filter, cancellationToken);
        var matches = (page?.Value ?? []).Select(ToDevice).Where(d => string.Equals(d.SerialNumber, serialNumber, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.FirstOrDefault(d => string.Equals(d.Id, preferredId, StringComparison.OrdinalIgnoreCase)) ?? matches.FirstOrDefault();
    }

    /// <summary>Serials the service's <c>contains()</c> filter answers: letters, digits and '_' or '.' (a hyphen makes it answer 400).</summary>
    public static bool CanFilterBySerial(string serialNumber) => !serialNumber.Contains('-', StringComparison.Ordinal);

    /// <summary>
    /// Asks for an Autopilot device's group tag to change (updateDeviceProperties, v1.0: 204 and no body). Intune applies
    /// it later: the caller reads the device back (<see cref="GetDeviceAsync"/>) to know it is done. False when Graph no
    /// longer holds the device (ResourceNotFound).
    /// </summary>
    public async Task<bool> UpdateGroupTagAsync(string autopilotDeviceId, string groupTag, CancellationToken cancellationToken)
    {
        try
        {
            await graph.DeviceManagement.WindowsAutopilotDeviceIdentities[autopilotDeviceId].UpdateDeviceProperties.PostAsync(
                new UpdateDevicePropertiesPostRequestBody { GroupTag = groupTag }, cancellationToken: cancellationToken);
            return true;
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            return false;
        }
    }

    /// <summary>One Autopilot device by id (GET windowsAutopilotDeviceIdentity, v1.0), or null when Graph does not hold it.</summary>
    public async Task<AutopilotDevice?> GetDeviceAsync(string autopilotDeviceId, CancellationToken cancellationToken)
    {
        try
        {
            var device = await graph.DeviceManagement.WindowsAutopilotDeviceIdentities[autopilotDeviceId].GetAsync(cancellationToken: cancellationToken);
            return device is null ? null : ToDevice(device);
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes a device from Autopilot (DELETE windowsAutopilotDeviceIdentity, v1.0). One already gone counts as removed:
    /// 404, or Intune's 400 "Cannot find device" (microsoft-graph-docs #7128) when a read confirms it is gone. Any other
    /// 4xx but 429 is a refusal, returned with Graph's code and message: a device still enrolled in Intune cannot be
    /// deleted from Autopilot until its Intune record is (memdocs autopilot/add-devices.md, "Delete Autopilot devices").
    /// Throttling and server errors are thrown, for the caller's back-off.
    /// </summary>
    public async Task<AutopilotRemoval> DeleteDeviceAsync(string autopilotDeviceId, CancellationToken cancellationToken)
    {
        try
        {
            await graph.DeviceManagement.WindowsAutopilotDeviceIdentities[autopilotDeviceId].DeleteAsync(cancellationToken: cancellationToken);
            return AutopilotRemoval.Removed;
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            return AutopilotRemoval.Removed;
        }
        catch (ODataError ex) when (ex.ResponseStatusCode is >= 400 and < 500 and not 429)
        {
            return await GetDeviceAsync(autopilotDeviceId, cancellationToken) is null
                ? AutopilotRemoval.Removed
                : new AutopilotRemoval(false, ex.Error?.Code ?? ex.ResponseStatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Error?.Message ?? ex.Message);
        }
    }

    private string BetaUrl(string path) => options.Value.BetaUrl(path);

    /// <summary>
    /// An import POST is not idempotent: the SDK's retry handler would send it again on a 429, 503 or 504 (kiota-dotnet
    /// RetryHandler), and a 504 that came after Intune accepted the batch would then create a second batch whose
    /// identities nobody tracks. The product's write-ahead reconciliation alone decides what to send again
    /// (<c>ImportPoster.ReconcileAsync</c>): the request goes once, and its failure reaches the sync.
    /// </summary>
    private static void NoTransportRetry<T>(RequestConfiguration<T> request) where T : class, new() =>
        request.Options.Add(new RetryHandlerOption { MaxRetry = 0, ShouldRetry = static (_, _, _) => false });

    private static ImportedWindowsAutopilotDeviceIdentity ToIdentity(AutopilotImportItem item, string importId) => new()
    {
        SerialNumber = item.SerialNumber,
        GroupTag = item.GroupTag,
        ImportId = importId,
        HardwareIdentifier = Convert.FromBase64String(item.HardwareHashBase64),
    };

    private static AutopilotImportState ToState(ImportedWindowsAutopilotDeviceIdentity identity) => new(
        identity.Id!,
        identity.ImportId,
        identity.SerialNumber,
        identity.State?.DeviceImportStatus?.ToString()?.ToLowerInvariant() ?? "unknown",
        identity.State?.DeviceErrorCode,
        string.IsNullOrEmpty(identity.State?.DeviceErrorName) || identity.State.DeviceErrorName == "None" ? null : identity.State.DeviceErrorName,
        string.IsNullOrEmpty(identity.State?.DeviceRegistrationId) ? null : identity.State.DeviceRegistrationId);

    private static AutopilotDevice ToDevice(WindowsAutopilotDeviceIdentity device) => new(
        device.Id!,
        device.SerialNumber ?? "",
        device.GroupTag,
        // Beta-only properties land in the v1.0 model's AdditionalData.
        device.AdditionalData.TryGetValue("deploymentProfileAssignmentStatus", out var status) ? status?.ToString() : null,
        device.AdditionalData.TryGetValue("deploymentProfileAssignedDateTime", out var assigned) ? AsTime(assigned) : null);

    /// <summary>
    /// A Graph time, or null when Graph does not know it: Graph writes 0001-01-01T00:00:00Z for a time not set yet
    /// (deploymentProfileAssignedDateTime of a profile still pending), a placeholder no answer of the API may repeat.
    /// </summary>
    private static DateTimeOffset? AsTime(object? value) => (value switch
    {
        DateTimeOffset time => time,
        DateTime time => new DateTimeOffset(time, TimeSpan.Zero),
        string text when DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time) => (DateTimeOffset?)time,
        _ => null,
    }) is { } known && known.UtcDateTime.Year > 1 ? known : null;
}
