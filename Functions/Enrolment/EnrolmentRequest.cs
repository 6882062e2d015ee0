using System.Text.Json.Serialization;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// The enrolment body, validated and normalised (serial and UAI upper case, strings trimmed, hash in canonical
/// base64). Its properties are the JSON members a device sends (the OpenAPI description is made from them).
/// </summary>
public sealed record EnrolmentRequest(
    string SerialNumber,
    string SchoolUai,
    string DeviceType,
    string Manufacturer,
    string Model,
    string HardwareHash,
    string? AssetTag)
{
    [JsonIgnore]
    public DeviceKey Key => new(SchoolUai, SerialNumber);

    [JsonIgnore]
    public DeviceDescription Description => new(DeviceType, Manufacturer, Model, HardwareHash, AssetTag);
}
