using Microsoft.Kiota.Abstractions;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

/// <summary>What the pipeline does with one device of an import, given what Graph answered. A value: carried out by the I/O classes.</summary>
public abstract record ImportDecision
{
    private ImportDecision()
    {
    }

    /// <summary>Intune is still processing the imported identity: look again at the next check.</summary>
    public sealed record StillProcessing : ImportDecision;

    /// <summary>Imported (or, 806, already registered in this tenant): look for the device in Autopilot.</summary>
    public sealed record LookUp(bool AlreadyInTenant) : ImportDecision;

    /// <summary>Send the device again in a new round of its import (a failure that passes).</summary>
    public sealed record Resend(string Reason) : ImportDecision;

    /// <summary>The device fails, with the code and message administrators read in its <c>lastError</c>.</summary>
    public sealed record Fail(string Code, string Message) : ImportDecision;

    /// <summary>Imported but not listed in Autopilot yet: look again.</summary>
    public sealed record NotListedYet : ImportDecision;

    /// <summary>Listed in Autopilot: registered; its profile is followed when <paramref name="FollowProfile"/>.</summary>
    public sealed record Registered(AutopilotDevice Seen, string ProfileStatus, bool FollowProfile) : ImportDecision;

    /// <summary>A registered device's profile as Autopilot shows it (null when it was not listed this time); <paramref name="Settled"/>: no longer followed.</summary>
    public sealed record ProfileSeen(AutopilotDevice? Seen, string ProfileStatus, bool Settled) : ImportDecision;
}

/// <summary>
/// Intune's answers and what they mean for a device, in one place: the import error codes (keyed by Intune's number
/// first, its name second) with the messages administrators read, and the pure functions from (the import's entry
/// for the device, what Graph answered) to an <see cref="ImportDecision"/>. Sources: learn.microsoft.com/autopilot/
/// add-devices ("Troubleshooting registration failures"), the support article "Troubleshoot error 806 or 808 when
/// importing Windows Autopilot CSV files", and the Graph reference of importedWindowsAutopilotDeviceIdentityState.
/// </summary>
public static class ImportDecisions
{
    /// <summary>806: the device is already registered in this tenant (by an earlier import, or by hand, or by a reseller).</summary>
    public const string AlreadyAssigned = "ZtdDeviceAlreadyAssigned";

    /// <summary>808: another organisation's Autopilot holds the device. The support article spells it so; memdocs writes <see cref="AssignedToAnotherTenant"/>.</summary>
    public const string AssignedToOtherTenant = "ZtdDeviceAssignedToOtherTenant";

    /// <summary>808 as memdocs spells it.</summary>
    public const string AssignedToAnotherTenant = "ZtdDeviceAssignedToAnotherTenant";

    /// <summary>802: the hardware hash is invalid or incomplete.</summary>
    public const string InvalidHardwareHash = "InvalidZtdHardwareHash";

    /// <summary>803: neither serial number nor product key.</summary>
    public const string MissingSerialNumber = "MissingZtdSerialNumberAndProductKey";

    /// <summary>The same hash twice in one upload: one is processed, the others fail (memdocs; no number published).</summary>
    public const string Duplicated = "ZtdDeviceDuplicated";

    /// <summary>"A generic error … try again later" (memdocs; no number published).</summary>
    public const string StorageError = "StorageError";

    /// <summary>The product's: Intune had not processed the identity after <see cref="RegistrationOptions.MaxPolls"/> checks.</summary>
    public const string TimedOut = "ImportTimedOut";

    /// <summary>The product's: Graph no longer had the identity being followed, on every send.</summary>
    public const string IdentityNotFound = "ImportedIdentityNotFound";

    /// <summary>The product's: the import completed but Autopilot never listed the device.</summary>
    public const string NotVisible = "NotVisibleInAutopilot";

    /// <summary>Failures that say nothing about the device itself: the sweep retries them automatically (bounded).</summary>
    public static readonly IReadOnlyCollection<string> TransientFailures = [StorageError, TimedOut, NotVisible, IdentityNotFound];

    /// <summary>What Intune's error is, whichever of its number and name it gave: the number decides when it is one Intune publishes.</summary>
    public static string Classify(int? code, string? name) => code switch
    {
        806 => AlreadyAssigned,
        808 => AssignedToOtherTenant,
        802 => InvalidHardwareHash,
        803 => MissingSerialNumber,
        _ => name switch
        {
            AlreadyAssigned => AlreadyAssigned,
            AssignedToOtherTenant or AssignedToAnotherTenant => AssignedToOtherTenant,
            InvalidHardwareHash => InvalidHardwareHash,
            MissingSerialNumber => MissingSerialNumber,
            Duplicated => Duplicated,
            StorageError => StorageError,
            null or "" => $"Error{code}",
            _ => name,
        },
    };

    /// <summary>What administrators read in the device's lastError for an Intune error, and what to do about it.</summary>
    public static string Explain(string classified, int? code, string? name) => classified switch
    {
        AssignedToOtherTenant => "Error 808: another organisation has this device in its Autopilot. Ask the reseller or that organisation to release it (or Microsoft Support, with proof of ownership), then retry.",
        InvalidHardwareHash => "Error 802: the hardware hash is invalid or incomplete. Run first boot again on the device: it sends a new hash.",
        MissingSerialNumber => "Error 803: Intune found neither a serial number nor a product key in the hardware hash. Run first boot again on the device: it sends a new hash.",
        AlreadyAssigned => "Error 806: Intune says the device is already registered in this tenant, but it could not be found in Autopilot.",
        Duplicated => "Another device of the same import was sent with the same hardware hash; only one of them can be registered. Check the hashes.",
        StorageError => "Intune answered StorageError (\"try again later\") on every import of this device.",
        _ => $"Autopilot import error {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "without a number"} ({name ?? "no name"}).",
    };

    /// <summary>What the state of a device's imported identity means for it.</summary>
    public static ImportDecision OnImportState(ImportedDevice entry, AutopilotImportState state, RegistrationOptions limits)
    {
        switch (state.Status)
        {
            case AutopilotImportState.Complete:
                return new ImportDecision.LookUp(AlreadyInTenant: false);
            case AutopilotImportState.Missing:
                // Graph no longer has the identity being followed: send the device again, in a new round.
                return ResendOrFail(entry, IdentityNotFound, "Intune lost the imported identity of this device several times.", limits);
            case AutopilotImportState.Error:
                var classified = Classify(state.ErrorCode, state.ErrorName);
                return classified switch
                {
                    AlreadyAssigned => new ImportDecision.LookUp(AlreadyInTenant: true),
                    StorageError => ResendOrFail(entry, StorageError, Explain(StorageError, state.ErrorCode, state.ErrorName), limits),
                    _ => new ImportDecision.Fail(classified, Explain(classified, state.ErrorCode, state.ErrorName)),
                };
            default:
                // unknown, pending or partial: still processing.
                return entry.Polls + 1 > limits.MaxPolls
                    ? new ImportDecision.Fail(TimedOut, $"Intune had not processed the import after {entry.Polls + 1} checks.")
                    : new ImportDecision.StillProcessing();
        }
    }

    /// <summary>
    /// What one look at Autopilot means for a device the import is following: an imported device is registered once
    /// listed (failed if it never is); a registered one has its profile followed until it settles or is no longer worth asking.
    /// </summary>
    public static ImportDecision OnAutopilotLook(ImportedDevice entry, AutopilotDevice? seen, RegistrationOptions limits, bool readProfileStatus)
    {
        // A profile Autopilot shows under another tag is the profile that tag leads to, not the school's: until the
        // school's tag shows, the school's profile is still to come (Intune assigns it again once the tag changes).
        var profile = seen is not null && HasForeignTag(entry, seen)
            ? DeploymentProfileStatus.Pending
            : DeploymentProfileStatus.FromGraph(seen?.ProfileAssignmentStatus);
        if (entry.Stage == ImportedDeviceStage.Registered)
        {
            // Followed until its profile is settled under its school's tag (a tag being corrected changes the profile).
            var settled = DeploymentProfileStatus.IsFinal(profile);
            return new ImportDecision.ProfileSeen(seen, profile, settled || entry.Scans + 1 > limits.MaxProfileScans);
        }

        if (seen is not null)
        {
            return new ImportDecision.Registered(seen, profile, readProfileStatus && !DeploymentProfileStatus.IsFinal(profile));
        }

        if (entry.Scans + 1 <= limits.MaxVisibilityScans)
        {
            return new ImportDecision.NotListedYet();
        }

        return entry.AlreadyInTenant
            ? new ImportDecision.Fail(AlreadyAssigned, Explain(AlreadyAssigned, entry.ErrorCode, entry.ErrorName))
            : new ImportDecision.Fail(NotVisible, $"The import completed but the device was not listed in Autopilot after {entry.Scans + 1} checks.");
    }

    /// <summary>
    /// Autopilot shows the device under another group tag than its school's (a reseller's, a hand registration's, an
    /// earlier owner's; 806 found it there): the school's tag is to be set before the device is ready.
    /// </summary>
    public static bool HasForeignTag(ImportedDevice entry, AutopilotDevice seen) =>
        !string.Equals(seen.GroupTag ?? "", entry.SchoolUai, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the device (its row as read) is still this import's entry: registering in this import, in this attempt.
    /// A device retried, removed, moved on or moving in another import is let go by the import.
    /// </summary>
    public static bool Belongs(Device? device, AutopilotImport import, ImportedDevice entry) =>
        device is { Status: DeviceStatus.Registering } && device.ImportId == import.ImportId && device.Attempt == entry.Attempt;

    /// <summary>The product's: Graph refused the import POST itself (a 4xx), for this device alone once the batch was split down to it.</summary>
    public const string ImportRefused = "ImportRefused";

    /// <summary>
    /// A Graph call failed: throttling, a server error, a timeout or no answer is worth trying again later (the sync
    /// waits and abandons nothing); a 4xx other than 429 is not.
    /// </summary>
    public static bool IsGraphUnavailable(Exception ex) => ex switch
    {
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.All(IsGraphUnavailable),
        ApiException api => api.ResponseStatusCode is 429 or >= 500 or 0,
        HttpRequestException or TimeoutException or TaskCanceledException => true,
        _ => false,
    };

    /// <summary>
    /// Graph refused the app itself: 401 or 403, a permission not granted (DeviceManagementServiceConfig.ReadWrite.All
    /// with admin consent) or a tenant without an Intune licence ("The Microsoft Graph API for Intune requires an
    /// active Intune license for the tenant", Graph reference). Nothing a retry of the same call changes soon: the sync
    /// waits and says what to grant, and fails nothing.
    /// </summary>
    public static bool IsAppRefused(Exception ex) => ex switch
    {
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.Any(IsAppRefused),
        ApiException api => api.ResponseStatusCode is 401 or 403,
        _ => false,
    };

    /// <summary>
    /// Graph refused an import POST as it was sent (a deterministic 4xx: a record it cannot read, a limit it does not
    /// document): the same POST would be refused again, so its devices are never sent together again.
    /// </summary>
    public static bool IsRefusedRequest(Exception ex) =>
        ex is ApiException { ResponseStatusCode: >= 400 and < 500 } api && !IsGraphUnavailable(api) && !IsAppRefused(api);

    /// <summary>
    /// What a refused import POST of <paramref name="sent"/> devices means: split in two halves and sent apart
    /// (<see cref="ImportDecision.Resend"/>, bisecting towards the record Graph refuses) while more than one was sent;
    /// the one device left fails with Graph's own message.
    /// </summary>
    public static ImportDecision OnPostRefused(int sent, string graphMessage) => sent > 1
        ? new ImportDecision.Resend(ImportRefused)
        : new ImportDecision.Fail(ImportRefused, $"Graph refused this device's record in an Autopilot import: {Bounded(graphMessage)}");

    private static string Bounded(string message) => message.Length <= 400 ? message : message[..400] + "…";

    private static ImportDecision ResendOrFail(ImportedDevice entry, string code, string message, RegistrationOptions limits) =>
        entry.Sends < limits.MaxImportRounds ? new ImportDecision.Resend(code) : new ImportDecision.Fail(code, message);
}
