using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// First-boot enrolment. Checks run in the contract's order (size and type, signature, validation) and
/// only then are there effects: claim the serial, insert the device row, queue its registration.
/// Graph is never called here.
/// </summary>
public sealed class EnrolmentService(
    SchoolCache schools,
    SchoolKeyStore keys,
    DeviceStore devices,
    RegistrationProcessor registration,
    AuditPublisher audit,
    IOptions<EnrolmentKeyOptions> keyOptions,
    TimeProvider time,
    ILogger<EnrolmentService> logger)
{
    public const int MaxBodyBytes = 64 * 1024;

    public async Task<IActionResult> EnrolAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return Problem.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type must be application/json.");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return TooLarge();
        }

        var body = await ReadBodyAsync(request.Body, cancellationToken);
        if (body is null)
        {
            return TooLarge();
        }

        var timestampHeader = request.Headers[EnrolmentSignature.TimestampHeader].ToString();
        var signature = EnrolmentSignature.ParseSignature(request.Headers[EnrolmentSignature.SignatureHeader].ToString());
        var timestamp = EnrolmentSignature.ParseTimestamp(timestampHeader);
        if (signature is null || timestamp is null)
        {
            return Problem.BadSignature($"{EnrolmentSignature.TimestampHeader} (Unix seconds) and {EnrolmentSignature.SignatureHeader} (v1=<hex HMAC-SHA256>) are required.");
        }

        var skew = Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - timestamp.Value);
        if (skew > keyOptions.Value.TimestampTolerance.TotalSeconds)
        {
            return Problem.BadSignature($"{EnrolmentSignature.TimestampHeader} is more than {keyOptions.Value.TimestampTolerance.TotalSeconds:F0} s from server time.");
        }

        var parser = EnrolmentRequestParser.TryCreate(body);
        if (parser is null)
        {
            return Problem.Validation("body", "The body must be a JSON object (UTF-8).");
        }

        var uai = parser.ReadSchoolUai();
        if (uai is null)
        {
            return Problem.Validation(parser.Errors);
        }

        var school = await schools.GetSchoolAsync(uai, cancellationToken);
        if (school is null || !school.Active)
        {
            return Problem.Validation("schoolUai", school is null ? $"School {uai} is not in the registry." : $"School {uai} is not active.");
        }

        var keySet = await schools.GetKeysAsync(uai, refresh: false, cancellationToken);
        var verified = keySet is not null && EnrolmentSignature.Verify(keys.ValidKeys(keySet), timestampHeader, body, signature);
        if (!verified)
        {
            // The cached key ids may predate a rotation: look once more at storage before refusing.
            keySet = await schools.GetKeysAsync(uai, refresh: true, cancellationToken);
            verified = keySet is not null && EnrolmentSignature.Verify(keys.ValidKeys(keySet), timestampHeader, body, signature);
        }

        if (!verified)
        {
            await RejectedAsync(uai, null, StatusCodes.Status401Unauthorized, keySet is null ? "no_key_issued" : "bad_signature", cancellationToken);
            return Problem.BadSignature("The enrolment signature does not match a key of this school.");
        }

        var enrolment = parser.ReadRequest(uai);
        if (enrolment is null)
        {
            await RejectedAsync(uai, null, StatusCodes.Status400BadRequest, "invalid_fields", cancellationToken, parser.Errors.Keys);
            return Problem.Validation(parser.Errors);
        }

        return await EnrolAsync(enrolment, cancellationToken);
    }

    private async Task<IActionResult> EnrolAsync(EnrolmentRequest enrolment, CancellationToken cancellationToken)
    {
        var (serial, uai) = (enrolment.SerialNumber, enrolment.SchoolUai);
        var holder = await devices.ClaimSerialAsync(serial, uai, cancellationToken);
        if (holder != uai)
        {
            // Never say which school holds it: that is another school's data.
            await RejectedAsync(uai, serial, StatusCodes.Status409Conflict, "serial_enrolled_elsewhere", cancellationToken);
            return Problem.Conflict($"Serial number {serial} is already enrolled at another school.");
        }

        var now = time.GetUtcNow();
        var device = new DeviceEntity
        {
            PartitionKey = uai,
            RowKey = serial,
            DeviceType = enrolment.DeviceType,
            Manufacturer = enrolment.Manufacturer,
            Model = enrolment.Model,
            AssetTag = enrolment.AssetTag,
            HardwareHash = enrolment.HardwareHash,
            EnrolledAt = now,
        };
        device.SetStatus(DeviceStatus.Received, now);
        var actor = new AuditActor(ActorKinds.Device, serial);
        if (await devices.TryAddAsync(device, cancellationToken))
        {
            // A table row, not a queue message per device: the dispatcher batches them (and publishes the audit event).
            await registration.RequestAsync(new DeviceRef(serial, uai, device.Attempt), EnrolledEvent(device), cancellationToken);
            var accepted = new JsonBodyResult(DeviceRecord.From(device), StatusCodes.Status202Accepted);
            accepted.Headers["Location"] = $"/api/devices/{serial}";
            return accepted;
        }

        // Same serial, same school: a device re-running first boot, or a retried request.
        var current = await devices.UpdateAsync(uai, serial, d =>
        {
            d.EnrolmentCount++;
            d.UpdatedAt = time.GetUtcNow();
            return true;
        }, cancellationToken) ?? throw new InvalidOperationException($"Device {serial} vanished during re-enrolment.");

        // Again, in case the first request's audit message never left (its id is stable, so a repeat collapses).
        await audit.PublishAsync(
            [EnrolledEvent(current), audit.Create(AuditEventTypes.DeviceReenrolled, actor, uai, serial, new JsonObject { ["enrolmentCount"] = current.EnrolmentCount })],
            cancellationToken);
        return new JsonBodyResult(DeviceRecord.From(current));
    }

    private static AuditEvent EnrolledEvent(DeviceEntity device) =>
        AuditPublisher.ForState(AuditEventTypes.DeviceEnrolled, new AuditActor(ActorKinds.Device, device.SerialNumber), device.SchoolUai, device.SerialNumber, 1, device.EnrolledAt,
            new JsonObject { ["deviceType"] = device.DeviceType, ["manufacturer"] = device.Manufacturer, ["model"] = device.Model });

    /// <summary>Audited without the body: who (school, serial when known), status and a reason code.</summary>
    private async Task RejectedAsync(string uai, string? serial, int status, string reason, CancellationToken cancellationToken, IEnumerable<string>? fields = null)
    {
        logger.LogInformation("Enrolment rejected for {SchoolUai}: {Status} {Reason}", uai, status, reason);
        var data = new JsonObject { ["status"] = status, ["reason"] = reason };
        if (fields is not null)
        {
            data["fields"] = new JsonArray(fields.Select(f => (JsonNode?)f).ToArray());
        }

        await audit.PublishAsync(AuditEventTypes.DeviceEnrolmentRejected, new AuditActor(ActorKinds.Device, serial ?? "unauthenticated"), uai, serial, data, cancellationToken);
    }

    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType.Value ?? "";
        var isJson = string.Equals(type, "application/json", StringComparison.OrdinalIgnoreCase)
                     || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        var charset = media.Charset.Value;
        return isJson && (charset is null || string.Equals(charset, "utf-8", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Reads at most <see cref="MaxBodyBytes"/>; null when the body is longer (chunked bodies have no Content-Length).</summary>
    private static async Task<byte[]?> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static JsonBodyResult TooLarge() =>
        Problem.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body must be at most {MaxBodyBytes / 1024} KiB.");
}
