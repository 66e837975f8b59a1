namespace BlueTeam.Storage.Ado;

/// <summary>The rows more than one part of the store reads (alerts, deliveries, an alert's chained state), and the names stored for enums.</summary>
internal sealed class StoreRows(StoreDatabase db)
{
    public const string AlertColumns = "a.id, a.fingerprint, a.host, a.created_at, a.updated_at, a.incident_json";
    public const string DeliveryColumns = "d.id, d.alert_id, d.channel, d.status, d.attempts, d.last_error, d.delivered_at, d.next_attempt_at";
    public const int DeliveryColumnCount = 8;
    public const int AlertColumnCount = 6;

    /// <summary>An alert row's state as the chain hashes it, read by <see cref="ReadSnapshot"/>.</summary>
    public const string SnapshotColumns =
        "a.id, a.host, a.fingerprint, a.rule_id, a.rule_name, a.severity, a.title, a.event_count, a.first_seen, a.last_seen, " +
        "a.created_at, a.updated_at, a.incident_json, a.acked_at, a.acked_by, a.ack_note, a.acked_severity, a.silence_id, " +
        "a.chain_seq, a.prev_hash, a.row_hash";

    public AlertRecord ReadAlert(DbDataReader reader, int first)
    {
        var id = reader.GetInt64(first);
        var json = reader.GetString(first + 5);
        var incident = EcsJson.DeserializeIncident(json)
            ?? throw new StoreException($"read alert {id}", db.Description, "its incident_json is null");
        return new AlertRecord
        {
            Id = id,
            Fingerprint = reader.GetString(first + 1),
            Host = reader.GetString(first + 2),
            CreatedAt = db.Dialect.ReadTimestamp(reader, first + 3),
            UpdatedAt = db.Dialect.ReadTimestamp(reader, first + 4),
            Incident = incident,
        };
    }

    public DeliveryRecord ReadDelivery(DbDataReader reader, int first) => new()
    {
        Id = reader.GetInt64(first),
        AlertId = reader.GetInt64(first + 1),
        Channel = reader.GetString(first + 2),
        Status = ParseStatus(reader.GetString(first + 3)),
        Attempts = reader.GetInt32(first + 4),
        LastError = reader.IsDBNull(first + 5) ? null : reader.GetString(first + 5),
        DeliveredAt = reader.IsDBNull(first + 6) ? null : db.Dialect.ReadTimestamp(reader, first + 6),
        NextAttemptAt = reader.IsDBNull(first + 7) ? null : db.Dialect.ReadTimestamp(reader, first + 7),
    };

    /// <summary>Reads a row of <see cref="SnapshotColumns"/> (or of <see cref="AlertBatchWriter.ReturnedColumns"/>).</summary>
    /// <param name="incidentSha256">The hash of the JSON the statement wrote, when it returns the JSON as null (<see cref="AlertBatchWriter.ReturnedColumns"/>).</param>
    public (string Host, AlertSnapshot State, (long? Seq, string? PrevHash, string? RowHash) Link) ReadSnapshot(DbDataReader reader, string? incidentSha256 = null)
    {
        var state = new AlertSnapshot(
            Fingerprint: reader.GetString(2),
            RuleId: reader.GetString(3),
            RuleName: reader.GetString(4),
            Severity: reader.GetString(5),
            Title: reader.GetString(6),
            EventCount: reader.GetInt64(7),
            FirstSeen: db.Dialect.ReadTimestamp(reader, 8),
            LastSeen: db.Dialect.ReadTimestamp(reader, 9),
            CreatedAt: db.Dialect.ReadTimestamp(reader, 10),
            UpdatedAt: db.Dialect.ReadTimestamp(reader, 11),
            IncidentSha256: incidentSha256 ?? AlertChain.Sha256Hex(reader.GetString(12)),
            AckedAt: reader.IsDBNull(13) ? null : db.Dialect.ReadTimestamp(reader, 13),
            AckedBy: NullableString(reader, 14),
            AckNote: NullableString(reader, 15),
            AckedSeverity: NullableString(reader, 16),
            SilenceId: reader.IsDBNull(17) ? null : reader.GetInt64(17));
        var link = (reader.IsDBNull(18) ? (long?)null : reader.GetInt64(18), NullableString(reader, 19), NullableString(reader, 20));
        return (reader.GetString(1), state, link);
    }

    public static Severity ReadSeverity(DbDataReader reader, int ordinal) => SeverityNames.Parse(reader.GetString(ordinal));

    public static string StatusName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => "pending",
        DeliveryStatus.Delivered => "delivered",
        DeliveryStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown delivery status"),
    };

    public static DeliveryStatus ParseStatus(string text) => text switch
    {
        "pending" => DeliveryStatus.Pending,
        "delivered" => DeliveryStatus.Delivered,
        "failed" => DeliveryStatus.Failed,
        _ => throw new FormatException($"'{text}' is not a delivery status (pending, delivered, failed)"),
    };

    // The names delivery rows and the alert JSON share (Alerting's NotifyReasonNames).
    public static string ReasonName(NotifyReason reason) => NotifyReasonNames.Name(reason);

    public static NotifyReason ParseReason(string text) => NotifyReasonNames.Parse(text);
}
