using Microsoft.Graph;
using Microsoft.Graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities.Import;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace Sarthe.Enrolment.Registration;

/// <summary>What to send Graph for one device.</summary>
public sealed record ImportItem(DeviceRef Device, string HardwareHashBase64, string GroupTag);

/// <summary>The state Graph reports for one imported identity.</summary>
public sealed record ImportState(string ImportedIdentityId, string Status, string? RegistrationId, int? ErrorCode, string? ErrorName);

/// <summary>The Autopilot calls of the product, on the real Microsoft Graph SDK client.</summary>
public sealed class AutopilotImporter(GraphServiceClient graph)
{
    /// <summary>One import action for the whole batch: one Graph write, whatever its size.</summary>
    public async Task<IReadOnlyList<string>> ImportAsync(IReadOnlyList<ImportItem> items, string importId, CancellationToken cancellationToken)
    {
        if (items.Count == 1)
        {
            // Batching off: one create per device, as per-device scripts do.
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

        // Graph returns the identities in request order; match by serial number to be safe.
        var bySerial = value.Where(v => v.SerialNumber is not null).ToDictionary(v => v.SerialNumber!, v => v.Id!, StringComparer.OrdinalIgnoreCase);
        return items.Select((item, index) => bySerial.GetValueOrDefault(item.Device.SerialNumber) ?? value[index].Id!).ToList();
    }

    /// <summary>
    /// States of one import: a filtered list (a read per page, not per device), or one GET per identity
    /// when Graph refuses the filter.
    /// </summary>
    public async Task<IReadOnlyList<ImportState>> GetStatesAsync(string importId, IReadOnlyCollection<string> identityIds, CancellationToken cancellationToken)
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

        var states = new List<ImportState>(identityIds.Count);
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
                states.Add(new ImportState(id, "missing", null, null, "ImportedIdentityNotFound"));
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

    private async Task<IReadOnlyList<ImportState>> ListByImportIdAsync(string importId, CancellationToken cancellationToken)
    {
        var states = new List<ImportState>();
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

    private static ImportedWindowsAutopilotDeviceIdentity ToIdentity(ImportItem item, string importId) => new()
    {
        SerialNumber = item.Device.SerialNumber,
        GroupTag = item.GroupTag,
        ImportId = importId,
        HardwareIdentifier = Convert.FromBase64String(item.HardwareHashBase64),
    };

    private static ImportState ToState(ImportedWindowsAutopilotDeviceIdentity identity) => new(
        identity.Id!,
        identity.State?.DeviceImportStatus?.ToString()?.ToLowerInvariant() ?? "unknown",
        string.IsNullOrEmpty(identity.State?.DeviceRegistrationId) ? null : identity.State.DeviceRegistrationId,
        identity.State?.DeviceErrorCode,
        string.IsNullOrEmpty(identity.State?.DeviceErrorName) ? null : identity.State.DeviceErrorName);
}
