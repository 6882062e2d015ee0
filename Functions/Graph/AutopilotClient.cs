using Microsoft.Graph;
using Microsoft.Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace Sarthe.Enrolment.Graph;

/// <summary>One device to import: serial number, Autopilot hardware hash (base64) and group tag.</summary>
public sealed record AutopilotImportItem(string SerialNumber, string HardwareHashBase64, string GroupTag);

/// <summary>The state Graph reports for one imported identity.</summary>
public sealed record AutopilotImportState(string ImportedIdentityId, string Status, string? RegistrationId, int? ErrorCode, string? ErrorName)
{
    public const string Complete = "complete";
    public const string Error = "error";

    /// <summary>The identity is gone (deleted, or never kept by Intune).</summary>
    public const string Missing = "missing";
}

/// <summary>
/// Every Microsoft Graph call the product makes, on the real Graph SDK client: the whole Graph surface of the
/// product is this file.
/// </summary>
public sealed class AutopilotClient(GraphServiceClient graph)
{
    /// <summary>
    /// One import action for the whole batch: one Graph write, whatever its size (or one create when the batch is a
    /// single device, as per-device scripts do). Returns the imported identity id of each item, in order.
    /// </summary>
    public async Task<IReadOnlyList<string>> ImportAsync(IReadOnlyList<AutopilotImportItem> items, string importId, CancellationToken cancellationToken)
    {
        if (items.Count == 1)
        {
            var created = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.PostAsync(ToIdentity(items[0], importId), cancellationToken: cancellationToken);
            return [created?.Id ?? throw new InvalidOperationException("Graph created an identity without an id.")];
        }

        var response = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import.PostAsImportPostResponseAsync(
            new ImportPostRequestBody { ImportedWindowsAutopilotDeviceIdentities = items.Select(i => ToIdentity(i, importId)).ToList() },
            cancellationToken: cancellationToken);
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

    /// <summary>
    /// States of one import: a filtered list (a read per page, not per device), or one GET per identity when
    /// Graph refuses the filter.
    /// </summary>
    public async Task<IReadOnlyList<AutopilotImportState>> GetStatesAsync(string importId, IReadOnlyCollection<string> identityIds, CancellationToken cancellationToken)
    {
        if (identityIds.Count > 1)
        {
            try
            {
                return await ListByImportIdAsync(importId, cancellationToken);
            }
            catch (ODataError ex) when (ex.ResponseStatusCode == 400)
            {
                // Filter not supported here: fall back to one read per device.
            }
        }

        var states = new List<AutopilotImportState>(identityIds.Count);
        foreach (var id in identityIds)
        {
            try
            {
                var identity = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[id].GetAsync(cancellationToken: cancellationToken);
                if (identity is not null)
                {
                    states.Add(ToState(identity));
                }
            }
            catch (ODataError ex) when (ex.ResponseStatusCode == 404)
            {
                states.Add(new AutopilotImportState(id, AutopilotImportState.Missing, null, null, "ImportedIdentityNotFound"));
            }
        }

        return states;
    }

    /// <summary>Is a device of this serial number registered in this tenant (by an earlier attempt, or by hand)?</summary>
    public async Task<string?> FindRegisteredDeviceIdAsync(string serialNumber, CancellationToken cancellationToken)
    {
        var page = await graph.DeviceManagement.WindowsAutopilotDeviceIdentities.GetAsync(
            request => request.QueryParameters.Filter = $"contains(serialNumber,'{serialNumber}')", cancellationToken);
        return page?.Value?.FirstOrDefault(d => string.Equals(d.SerialNumber, serialNumber, StringComparison.OrdinalIgnoreCase))?.Id;
    }

    private async Task<IReadOnlyList<AutopilotImportState>> ListByImportIdAsync(string importId, CancellationToken cancellationToken)
    {
        var states = new List<AutopilotImportState>();
        var page = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.GetAsync(
            request => request.QueryParameters.Filter = $"contains(importId,'{importId}')", cancellationToken);
        while (page is not null)
        {
            states.AddRange((page.Value ?? []).Select(ToState));
            if (page.OdataNextLink is null)
            {
                break;
            }

            page = await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.WithUrl(page.OdataNextLink).GetAsync(cancellationToken: cancellationToken);
        }

        return states;
    }

    private static ImportedWindowsAutopilotDeviceIdentity ToIdentity(AutopilotImportItem item, string importId) => new()
    {
        SerialNumber = item.SerialNumber,
        GroupTag = item.GroupTag,
        ImportId = importId,
        HardwareIdentifier = Convert.FromBase64String(item.HardwareHashBase64),
    };

    private static AutopilotImportState ToState(ImportedWindowsAutopilotDeviceIdentity identity) => new(
        identity.Id!,
        identity.State?.DeviceImportStatus?.ToString()?.ToLowerInvariant() ?? "unknown",
        string.IsNullOrEmpty(identity.State?.DeviceRegistrationId) ? null : identity.State.DeviceRegistrationId,
        identity.State?.DeviceErrorCode,
        string.IsNullOrEmpty(identity.State?.DeviceErrorName) ? null : identity.State.DeviceErrorName);
}
