using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// First-boot enrolment, and the device's own status read. Checks run in the contract's order (signature window,
/// school, signature, fields) and only then are there effects: claim the serial, insert the device row, put it in line
/// for registration. Graph is never called here.
/// </summary>
public sealed class EnrolmentService(
    SchoolCache schools,
    SchoolKeyCache keyIds,
    SchoolKeyStore keys,
    EnrolmentRateLimiter limiter,
    RejectionTally rejections,
    DeviceStore devices,
    SerialClaims claims,
    InventoryStore inventory,
    RegistrationRedriver registration,
    AuditPublisher audit,
    IOptions<EnrolmentKeyOptions> keyOptions,
    TimeProvider time,
    ILogger<EnrolmentService> logger)
{
    /// <summary>The header that names the school of a request without a body (its key signs it).</summary>
    public const string SchoolHeader = "X-Enrolment-School";

    private const string NoMatchingKey = "The enrolment signature does not match a key of this school.";

    /// <summary>A repeat enrolment of a device unchanged for this long drives it again (it may have been lost in a crash).</summary>
    private static readonly TimeSpan RedriveAfter = TimeSpan.FromMinutes(1);

    public async Task<EnrolmentOutcome> EnrolAsync(SignedBody request, CancellationToken cancellationToken)
    {
        // Before anything is read: an address whose refused attempts used up its tokens is refused here, at the cost of
        // a counter. Only refusals before the signature is verified spend them; a signed attempt is bounded by its school.
        if (limiter.SourceWait(request.SourceAddress) is { } wait)
        {
            return new EnrolmentOutcome.TooManyAttempts(wait);
        }

        var authenticated = await AuthenticateAsync(request, cancellationToken);
        if (authenticated.Refusal is { } refusal)
        {
            limiter.SpendRefusal(request.SourceAddress);
            return refusal;
        }

        var (uai, parser) = (authenticated.Uai!, authenticated.Parser!);
        if (limiter.TakeSchoolAttempt(uai) is { } schoolWait)
        {
            return new EnrolmentOutcome.TooManyAttempts(schoolWait);
        }

        var enrolment = parser.ReadRequest(uai);
        if (enrolment is null)
        {
            await RejectedAsync(uai, null, StatusCodes.Status400BadRequest, "invalid_fields", cancellationToken, parser.Errors.Keys);
            return new EnrolmentOutcome.Refused(EnrolmentRefusal.InvalidRequest, "One or more fields are invalid.", parser.Errors);
        }

        return await EnrolAsync(enrolment, cancellationToken);
    }

    /// <summary>
    /// An enrolment's checks up to its signature, in the contract's order: the refusal (nobody authenticated), or the
    /// school whose key signed it and the body's parser.
    /// </summary>
    private async Task<(EnrolmentOutcome? Refusal, string? Uai, EnrolmentRequestParser? Parser)> AuthenticateAsync(SignedBody request, CancellationToken cancellationToken)
    {
        var parser = EnrolmentRequestParser.TryCreate(request.Body);
        var uai = parser?.ReadSchoolUai();
        var school = uai is null ? null : await schools.GetAsync(uai, cancellationToken);
        if (CheckHeaders(request, school?.Uai, out var signature) is { } refusedHeaders)
        {
            return (refusedHeaders, null, null);
        }

        if (parser is null)
        {
            return (Invalid("body", EnrolmentRequestParser.BodyRule), null, null);
        }

        if (uai is null)
        {
            return (new EnrolmentOutcome.Refused(EnrolmentRefusal.InvalidRequest, "One or more fields are invalid.", parser.Errors), null, null);
        }

        if (school is null || !school.Active)
        {
            return (Invalid("schoolUai", school is null ? $"School {uai} is not in the registry." : $"School {uai} is not active."), null, null);
        }

        return await VerifyAsync(uai, request, signature, cancellationToken) ? (null, uai, parser) : (BadSignature(NoMatchingKey), null, null);
    }

    /// <summary>
    /// A device reads its own registration (contract v1.1): signed like an enrolment, its school named in a header; reads
    /// one row and changes nothing (no audit entry, no count). Refused signatures are tallied like refused enrolments.
    /// </summary>
    public async Task<EnrolmentOutcome> GetStatusAsync(SignedBody request, string? schoolHeader, string routeSerial, CancellationToken cancellationToken)
    {
        if (limiter.TakeStatusRead(request.SourceAddress) is { } wait)
        {
            return new EnrolmentOutcome.TooManyAttempts(wait);
        }

        var uai = SchoolUai.Normalize(schoolHeader?.Trim());
        var school = uai is null ? null : await schools.GetAsync(uai, cancellationToken);
        if (CheckHeaders(request, school?.Uai, out var signature) is { } refusedHeaders)
        {
            return refusedHeaders;
        }

        if (school is null)
        {
            // No school whose keys could check the signature: counted in the log only, like any attempt naming no school.
            rejections.Record(null, "bad_signature", StatusCodes.Status401Unauthorized);
            return BadSignature($"{SchoolHeader} must be the UAI of a school of the registry, whose key signs the request.");
        }

        if (!await VerifyAsync(school.Uai, request, signature, cancellationToken))
        {
            return BadSignature(NoMatchingKey);
        }

        return SerialNumber.Normalize(routeSerial) is { } serial && await devices.GetAsync(new DeviceKey(school.Uai, serial), cancellationToken) is { } device
            ? new EnrolmentOutcome.Found(device)
            : new EnrolmentOutcome.NotEnrolled(routeSerial);
    }

    /// <summary>
    /// Both signature headers present and well formed, and the timestamp within the window; a refusal is tallied for the
    /// school the request names (when it names one of the registry).
    /// </summary>
    private EnrolmentOutcome.Refused? CheckHeaders(SignedBody request, string? schoolUai, out byte[] signature)
    {
        signature = EnrolmentSignature.ParseSignature(request.SignatureHeader) ?? [];
        var timestamp = EnrolmentSignature.ParseTimestamp(request.TimestampHeader);
        if (signature.Length == 0 || timestamp is null)
        {
            rejections.Record(schoolUai, "missing_signature", StatusCodes.Status401Unauthorized);
            return BadSignature($"{EnrolmentSignature.TimestampHeader} (Unix seconds) and {EnrolmentSignature.SignatureHeader} (v1=<hex HMAC-SHA256>) are required.");
        }

        var tolerance = keyOptions.Value.TimestampTolerance;
        if (Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - timestamp.Value) > tolerance.TotalSeconds)
        {
            rejections.Record(schoolUai, "stale_timestamp", StatusCodes.Status401Unauthorized);
            return BadSignature($"{EnrolmentSignature.TimestampHeader} is more than {tolerance.TotalSeconds:F0} s from server time.");
        }

        return null;
    }

    /// <summary>
    /// Against the cached key ids first; the cache may predate a rotation, so once more from storage before refusing,
    /// but at most every KeyRefreshInterval per school: forged requests cost no storage read beyond that. A refusal
    /// is counted, and audited once per school, reason and minute.
    /// </summary>
    private async Task<bool> VerifyAsync(string uai, SignedBody request, byte[] signature, CancellationToken cancellationToken)
    {
        var keySet = await keyIds.GetAsync(uai, refresh: false, cancellationToken);
        if (keySet is not null && EnrolmentSignature.Verify(keys.ValidKeys(keySet), request.TimestampHeader, request.Body, signature))
        {
            return true;
        }

        if (limiter.MayRefreshKeys(uai))
        {
            keySet = await keyIds.GetAsync(uai, refresh: true, cancellationToken);
            if (keySet is not null && EnrolmentSignature.Verify(keys.ValidKeys(keySet), request.TimestampHeader, request.Body, signature))
            {
                return true;
            }
        }

        rejections.Record(uai, keySet is null ? "no_key_issued" : "bad_signature", StatusCodes.Status401Unauthorized);
        return false;
    }

    private async Task<EnrolmentOutcome> EnrolAsync(EnrolmentRequest enrolment, CancellationToken cancellationToken)
    {
        var key = enrolment.Key;
        // A serial bought for another school is that school's device: refused here under every policy, never held nor
        // claimed (a held claim would block the school that bought it), unless it is enrolled here already (moved by an
        // administrator): then it is a repeat.
        var bought = await inventory.GetAsync(key.SerialNumber, cancellationToken);
        if (bought is not null && bought.SchoolUai != key.SchoolUai && await claims.EnrolledSchoolAsync(key.SerialNumber, cancellationToken) != key.SchoolUai)
        {
            // Never say which school bought it: that is another school's data.
            await RejectedAsync(key.SchoolUai, key.SerialNumber, StatusCodes.Status409Conflict, "bought_for_another_school", cancellationToken);
            return new EnrolmentOutcome.Refused(EnrolmentRefusal.BoughtForAnotherSchool, $"Serial number {key.SerialNumber} is in another school's purchase inventory.");
        }

        // The unknown-device policy: a serial the purchase inventory gives to this school always enrols; one nobody bought
        // is accepted, held or refused as the setting says. A device enrolled here already is a repeat, whatever the policy.
        var policy = bought?.SchoolUai == key.SchoolUai ? UnknownDevicePolicy.Accept : UnknownDevicePolicies.Of(keyOptions.Value);
        if (policy == UnknownDevicePolicy.Reject && await claims.SchoolHoldingRowAsync(key.SerialNumber, cancellationToken) != key.SchoolUai)
        {
            await RejectedAsync(key.SchoolUai, key.SerialNumber, StatusCodes.Status403Forbidden, "not_in_inventory", cancellationToken);
            return new EnrolmentOutcome.Refused(EnrolmentRefusal.NotInInventory, $"Serial number {key.SerialNumber} is not in this school's purchase inventory.");
        }

        if (await claims.ClaimAsync(key.SerialNumber, key.SchoolUai, cancellationToken) != key.SchoolUai)
        {
            // Never say which school holds it: that is another school's data.
            await RejectedAsync(key.SchoolUai, key.SerialNumber, StatusCodes.Status409Conflict, "serial_enrolled_elsewhere", cancellationToken);
            return new EnrolmentOutcome.Refused(EnrolmentRefusal.SerialEnrolledElsewhere, $"Serial number {key.SerialNumber} is already enrolled at another school.");
        }

        var device = policy == UnknownDevicePolicy.Hold ? Device.Hold(key, enrolment.Description, time.GetUtcNow()) : Device.Enrol(key, enrolment.Description, time.GetUtcNow());
        // What was bought under this serial is this school's data only when it was bought for this school.
        var bill = bought is not null && bought.SchoolUai == key.SchoolUai ? InventoryView.From(bought) : null;
        // A held device waits for an administrator: its events are published now. A received one goes in line (a table
        // row, not a queue message per device: the planner batches them), and its device.enrolled event is published
        // with its next change, the planner's.
        if (await devices.TryAddAsync(device, device.Status == DeviceStatus.Held ? NewDeviceEvents.PublishNow : NewDeviceEvents.WithNextChange, cancellationToken))
        {
            if (device.Status == DeviceStatus.Held)
            {
                logger.LogInformation("Device {SerialNumber} of {SchoolUai} is not in the school's purchase inventory: held", key.SerialNumber, key.SchoolUai);
                return new EnrolmentOutcome.Accepted(device, bill);
            }

            await registration.QueueAsync(device, cancellationToken);
            return new EnrolmentOutcome.Accepted(device, bill);
        }

        // Same serial, same school: a device re-running first boot, or a retried request. One that has not moved for
        // a while (its line lost in a crash, say) is driven again, without a second import; one still waiting for its
        // first import is put in line again at once: an earlier attempt may have written the row and failed before its
        // line (a storage stall: the insert applied, its answer lost, the storage client's retry met the row), and the
        // planner imports a device once however often it is in line.
        var existing = await devices.GetAsync(key, cancellationToken);
        if (existing is not null && existing.UpdatedAt < time.GetUtcNow() - RedriveAfter)
        {
            await registration.RedriveAsync(existing, cancellationToken);
        }
        else if (existing is { Status: DeviceStatus.Received })
        {
            await registration.QueueAsync(existing, cancellationToken);
        }

        // A failed device that sends another hash (Intune refused the old one) starts again with it, as a new attempt
        // that goes through the outbox like a retry; any other repeat is only counted.
        var replaced = false;
        var (current, _) = await devices.UpdateAsync(key, d =>
        {
            replaced = d.TryReplaceHash(enrolment.HardwareHash, time.GetUtcNow());
            if (!replaced)
            {
                d.RecordReenrolment(time.GetUtcNow());
            }

            d.TryDescribe(enrolment.Description, time.GetUtcNow()); // a pre-registered device from an Autopilot CSV says what it is (audited)

            return true;
        }, cancellationToken);
        if (current is null)
        {
            throw new InvalidOperationException($"Device {key.SerialNumber} vanished during re-enrolment.");
        }

        if (replaced)
        {
            await registration.QueueAsync(current, cancellationToken);
            logger.LogInformation("Device {SerialNumber} of {SchoolUai} sent another hardware hash after failing: attempt {Attempt} starts", current.SerialNumber, current.SchoolUai, current.Attempt);
        }

        return replaced ? new EnrolmentOutcome.HashReplaced(current) : new EnrolmentOutcome.AlreadyEnrolled(current);
    }

    private async Task RejectedAsync(string uai, string? serial, int status, string reason, CancellationToken cancellationToken, IEnumerable<string>? fields = null)
    {
        logger.LogInformation("Enrolment rejected for {SchoolUai}: {Status} {Reason}", uai, status, reason);
        await audit.PublishAsync(AuditEvents.EnrolmentRejected(uai, serial, status, reason, fields, time.GetUtcNow()), cancellationToken);
    }

    private static EnrolmentOutcome.Refused BadSignature(string detail) => new(EnrolmentRefusal.BadSignature, detail);

    private static EnrolmentOutcome.Refused Invalid(string field, string message) =>
        new(EnrolmentRefusal.InvalidRequest, message, new Dictionary<string, string[]> { [field] = [message] });
}
