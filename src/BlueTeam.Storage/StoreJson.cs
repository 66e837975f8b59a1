using System.Text.Json.Serialization;

namespace BlueTeam.Storage;

/// <summary>The JSON columns the store writes itself (heartbeat counters and sources, silence matchers).</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
