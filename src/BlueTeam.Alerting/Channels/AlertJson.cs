using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BlueTeam.Alerting.Channels;

/// <summary>The JSON an alert leaves as (file, webhook, syslog json): the ECS incident plus the alert's id and host.</summary>
internal static class AlertJson
{
    // JavaScriptEncoder.Default escapes control characters and markup-significant characters, so the
    // text is one line and inert wherever it is printed.
    private static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.Default };

    public static JsonObject ToNode(AlertRecord alert)
    {
        var node = JsonNode.Parse(EcsJson.Serialize(alert.Incident))!.AsObject();
        node["@timestamp"] = alert.Incident.LastSeen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        node["event"] = new JsonObject { ["kind"] = "alert", ["id"] = alert.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (alert.Incident.Host is null) node["host"] = new JsonObject { ["hostname"] = alert.Host };
        if (alert.Change is { } change)
        {
            // What changed since this channel's last notice, for receivers that show updates as such.
            node["alert_update"] = new JsonObject
            {
                ["reason"] = NotifyReasonNames.Name(change.Reason),
                ["previous_severity"] = change.PreviousSeverity?.ToName(),
                ["previous_event_count"] = change.PreviousEventCount,
                ["previous_at"] = change.PreviousAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["summary"] = change.Describe(alert.Incident),
            };
        }
        return node;
    }

    public static string Serialize(AlertRecord alert) => ToNode(alert).ToJsonString(WriteOptions);

    public static string Serialize(JsonNode node) => node.ToJsonString(WriteOptions);
}
