using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace BlueTeam.Core.Events;

/// <summary>
/// What a rule concluded from one or more events: one incident per (rule, keys, window), updated
/// while the burst goes on. <see cref="Fingerprint"/> is stable across restarts and replays.
/// </summary>
public sealed record SecurityIncident
{
    [JsonPropertyName("rule")] public required IncidentRule Rule { get; init; }
    [JsonPropertyName("title")] public required string Title { get; init; }
    [JsonPropertyName("severity"), JsonConverter(typeof(SeverityJsonConverter))] public required Severity Severity { get; init; }
    [JsonPropertyName("description")] public string Description { get; init; } = "";
    /// <summary>The seed's detected_by: the name of the rule (or component) that raised it.</summary>
    [JsonPropertyName("detected_by")] public required string DetectedBy { get; init; }
    [JsonPropertyName("nist_controls")] public IReadOnlyList<string> NistControls { get; init; } = [];
    [JsonPropertyName("cui_involved")] public bool CuiInvolved { get; init; }
    [JsonPropertyName("source")] public EcsSource? Source { get; init; }
    [JsonPropertyName("user")] public EcsUser? User { get; init; }
    [JsonPropertyName("host")] public EcsHost? Host { get; init; }
    [JsonPropertyName("first_seen")] public required DateTimeOffset FirstSeen { get; init; }
    [JsonPropertyName("last_seen")] public required DateTimeOffset LastSeen { get; init; }
    [JsonPropertyName("event_count")] public int EventCount { get; init; } = 1;
    [JsonPropertyName("fingerprint")] public required string Fingerprint { get; init; }
    /// <summary>A bounded sample of the events that made the incident (the first few).</summary>
    [JsonPropertyName("evidence")] public IReadOnlyList<SecurityEvent> Evidence { get; init; } = [];

    /// <summary>Maximum number of evidence events an incident carries.</summary>
    public const int MaxEvidence = 10;

    /// <summary>
    /// A stable fingerprint: the same rule, keys and window start always give the same value,
    /// so a replay or a restart updates the stored incident instead of adding another.
    /// </summary>
    public static string ComputeFingerprint(string ruleId, DateTimeOffset windowStart, params string?[] keys)
    {
        var sb = new StringBuilder(ruleId);
        foreach (var k in keys) sb.Append('\u001f').Append(k ?? "");
        sb.Append('\u001f').Append(windowStart.ToUnixTimeMilliseconds());
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}

public sealed record IncidentRule
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
}
