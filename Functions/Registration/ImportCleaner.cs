using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Deletes imported identities once Intune has processed them, successful or not, as Microsoft's
/// WindowsAutopilotIntune module does ("This should be done regardless of whether the import was successful or
/// not"), and removes imports that have nothing left to follow. Deletes are one Graph write each, so they only use
/// what the registrations leave of the write budget: never while an import waits to be sent.
/// </summary>
public sealed class ImportCleaner(AutopilotClient autopilot, ImportStore imports, GraphBudget budget, ILogger<ImportCleaner> logger)
{
    /// <summary>Returns how many identities were deleted.</summary>
    public async Task<int> CleanAsync(IReadOnlyList<AutopilotImport> inFlight, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var waitingToBeSent = inFlight.Any(i => i.HasDevicesToSend);
        foreach (var import in inFlight)
        {
            var before = deleted;
            foreach (var entry in import.Devices)
            {
                foreach (var identityId in entry.DeletableIdentities)
                {
                    if (waitingToBeSent || !budget.Affords(1, 1))
                    {
                        break;
                    }

                    await autopilot.DeleteImportedAsync(identityId, cancellationToken);
                    entry.RecordDeleted(identityId);
                    deleted++;
                }
            }

            if (import.IsFinished)
            {
                await imports.RemoveAsync(import, cancellationToken);
                logger.LogInformation("Import {ImportId} finished: every device settled, every identity deleted", import.ImportId);
            }
            else if (deleted > before)
            {
                await imports.SaveAsync(import, cancellationToken);
            }
        }

        return deleted;
    }
}
