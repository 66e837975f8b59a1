namespace BlueTeam.Storage.Ado;

// Reads of the alert history: the listing, one alert, and bulk reads for `blueteam incidents`, `alerts show`
// and `report` (a few statements per page of alerts instead of one per alert).
internal sealed class AdoHistoryReader(StoreDatabase db, StoreRows rows) : IAlertHistoryReader
{
    /// <inheritdoc cref="IAlertStore.ListAlertsAsync"/>
    /// <remarks>
    /// Newest activity first (last_seen, then id). <see cref="AlertQuery.RuleName"/> matches the
    /// rule's name or its id; <see cref="AlertQuery.Since"/> keeps alerts last seen at or after it.
    /// </remarks>
    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit);

        return db.RunAsync<IReadOnlyList<AlertRecord>>("list alerts", async (connection, ct) =>
        {
            await using var command = Command(connection, null, "");
            var conditions = new List<string>();
            if (query.MinSeverity is { } min)
            {
                // Severity is stored by name, so "at least" is the set of names at or above it.
                var names = Enum.GetValues<Severity>().Where(s => s >= min).Select((s, i) => (Name: s.ToName(), Parameter: $"@severity{i}")).ToList();
                foreach (var (name, parameter) in names) AddText(command, parameter, name);
                conditions.Add($"a.severity IN ({string.Join(", ", names.Select(n => n.Parameter))})");
            }
            if (query.RuleName is { } rule)
            {
                AddText(command, "@rule", rule);
                conditions.Add("(a.rule_name = @rule OR a.rule_id = @rule)");
            }
            if (query.Host is { } host)
            {
                AddText(command, "@host", host);
                conditions.Add("a.host = @host");
            }
            if (query.Since is { } since)
            {
                db.AddTimestamp(command, "@since", since);
                conditions.Add("a.last_seen >= @since");
            }
            Add(command, "@limit", query.Limit);
            var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
            command.CommandText = $"SELECT {StoreRows.AlertColumns} FROM {db.Alerts} a {where} ORDER BY a.last_seen DESC, a.id DESC LIMIT @limit";

            var result = new List<AlertRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(rows.ReadAlert(reader, 0));
            return result;
        }, cancellationToken);
    }

    public Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken) =>
        db.RunAsync($"read alert {id}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT {StoreRows.AlertColumns} FROM {db.Alerts} a WHERE a.id = @id");
            Add(command, "@id", id);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? rows.ReadAlert(reader, 0) : null;
        }, cancellationToken);

    // Well under SQLite's and PostgreSQL's parameter limits, and a page of a listing in one go.
    private const int IdBatch = 500;

    public Task<IReadOnlyList<AlertTriage>> ListTriageAsync(IReadOnlyCollection<long> alertIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alertIds);
        return db.RunAsync<IReadOnlyList<AlertTriage>>($"read triage of {alertIds.Count} alert(s)", async (connection, ct) =>
        {
            var result = new List<AlertTriage>(alertIds.Count);
            foreach (var batch in alertIds.Distinct().Order().Chunk(IdBatch))
            {
                await using var command = Command(connection, null, "");
                command.CommandText = $"SELECT id, acked_at, acked_by, ack_note, acked_severity, silence_id FROM {db.Alerts} WHERE id IN ({AddList(command, "@id", batch)}) ORDER BY id";
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    result.Add(new AlertTriage
                    {
                        AlertId = reader.GetInt64(0),
                        AckedAt = reader.IsDBNull(1) ? null : db.Dialect.ReadTimestamp(reader, 1),
                        AckedBy = NullableString(reader, 2),
                        AckNote = NullableString(reader, 3),
                        AckedSeverity = reader.IsDBNull(4) ? null : SeverityNames.Parse(reader.GetString(4)),
                        SilenceId = reader.IsDBNull(5) ? null : reader.GetInt64(5),
                    });
                }
            }
            return result;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<DeliveryRecord>> ListDeliveriesAsync(IReadOnlyCollection<long> alertIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alertIds);
        return db.RunAsync<IReadOnlyList<DeliveryRecord>>($"read deliveries of {alertIds.Count} alert(s)", async (connection, ct) =>
        {
            var result = new List<DeliveryRecord>();
            foreach (var batch in alertIds.Distinct().Order().Chunk(IdBatch))
            {
                await using var command = Command(connection, null, "");
                command.CommandText = $"SELECT {StoreRows.DeliveryColumns} FROM {db.Deliveries} d WHERE d.alert_id IN ({AddList(command, "@id", batch)}) ORDER BY d.alert_id, d.id";
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) result.Add(rows.ReadDelivery(reader, 0));
            }
            return result;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<AlertChainLink>> GetAlertChainAsync(long alertId, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<AlertChainLink>>($"read the chain entries of alert {alertId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT host, seq, kind, entry_hash FROM {db.Chain} WHERE alert_id = @alert_id ORDER BY seq");
            Add(command, "@alert_id", alertId);
            var result = new List<AlertChainLink>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(new AlertChainLink(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3)));
            return result;
        }, cancellationToken);

    public Task<IReadOnlyList<QueuedNotification>> GetNotificationHistoryAsync(long alertId, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<QueuedNotification>>($"read the notification history of alert {alertId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT id, channel, queued_at, severity, event_count, reason, status
                FROM {db.Deliveries} WHERE alert_id = @alert_id ORDER BY id
                """);
            Add(command, "@alert_id", alertId);
            var result = new List<QueuedNotification>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                result.Add(new QueuedNotification(reader.GetInt64(0), reader.GetString(1), db.Dialect.ReadTimestamp(reader, 2), StoreRows.ReadSeverity(reader, 3),
                    reader.GetInt32(4), StoreRows.ParseReason(reader.GetString(5)), StoreRows.ParseStatus(reader.GetString(6))));
            }
            return result;
        }, cancellationToken);
}
