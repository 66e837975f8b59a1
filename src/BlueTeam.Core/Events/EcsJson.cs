using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BlueTeam.Core.Events;

/// <summary>The one JSON shape for events and incidents (ECS names, nulls left out).</summary>
public static class EcsJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Escapes control characters and non-ASCII-unsafe text; the output is safe on a terminal.
        Encoder = JavaScriptEncoder.Default,
        TypeInfoResolver = EcsJsonContext.Default,
    };

    public static string Serialize(SecurityEvent e) => JsonSerializer.Serialize(e, EcsJsonContext.Default.SecurityEvent);
    public static string Serialize(SecurityIncident i) => JsonSerializer.Serialize(i, EcsJsonContext.Default.SecurityIncident);
    public static SecurityIncident? DeserializeIncident(string json) => JsonSerializer.Deserialize(json, EcsJsonContext.Default.SecurityIncident);
    public static SecurityEvent? DeserializeEvent(string json) => JsonSerializer.Deserialize(json, EcsJsonContext.Default.SecurityEvent);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SecurityEvent))]
[JsonSerializable(typeof(SecurityIncident))]
[JsonSerializable(typeof(List<SecurityIncident>))]
[JsonSerializable(typeof(List<SecurityEvent>))]
public sealed partial class EcsJsonContext : JsonSerializerContext;

/// <summary>Writes a severity as its lower-case name ("high"), reads it back case-insensitively.</summary>
public sealed class SeverityJsonConverter : JsonConverter<Severity>
{
    public override Severity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        SeverityNames.TryParse(reader.GetString(), out var s) ? s : throw new JsonException($"'{reader.GetString()}' is not a severity");

    public override void Write(Utf8JsonWriter writer, Severity value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToName());
}
