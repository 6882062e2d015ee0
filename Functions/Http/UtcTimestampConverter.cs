using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sarthe.Enrolment.Http;

/// <summary>Timestamps on the wire are ISO 8601 UTC with a Z, as the contract shows: 2026-11-28T02:00:00Z.</summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    // Fractions only when present: 02:00:00Z stays as the contract shows it, 02:00:00.123Z keeps order.
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFF'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
}
