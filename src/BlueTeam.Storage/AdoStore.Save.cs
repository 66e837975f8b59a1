using BlueTeam.Alerting;
using BlueTeam.Core.Events;

namespace BlueTeam.Storage;

// Saving incidents: the insert-or-update by fingerprint, its outbox rows and its chain entry. A
// single save is a batch of one, so both go through exactly the same statements.
public abstract partial class AdoStore
{
    private RowsStatement? _insertAlerts;
    private string? _selectExistingSql;
    private string? _updateAlertSql;

    // The alert's state as stored, returned by the statement that wrote it: the chain hashes what
    // the database kept (PostgreSQL keeps microseconds, SQLite 100 ns ticks) without reading it back.
    private static readonly string SnapshotReturning = SnapshotColumns.Replace("a.", "", StringComparison.Ordinal);

    private const string InsertAlertRow = """
        (@fingerprint, @host, @rule_id, @rule_name, @severity, @title, @description, @detected_by,
            @nist_controls, @cui_involved, @source_ip, @user_name, @event_count, @first_seen, @last_seen, @now, @now, @incident_json)
        """;

    // Insert-first: ON CONFLICT DO NOTHING makes a concurrent insert of the same fingerprint wait
    // for the other transaction and then fall through to the update, instead of failing on the
    // unique constraint; a fingerprint repeated in the statement is inserted once, at its first row.
    private RowsStatement InsertAlerts => _insertAlerts ??= new RowsStatement($"""
        INSERT INTO {_alerts} (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
            nist_controls, cui_involved, source_ip, user_name, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
        VALUES
        """, $"""
        ON CONFLICT (fingerprint) DO NOTHING
        RETURNING {SnapshotReturning}
        """, _dialect.RowsPerStatement);

    private string SelectExistingSql => _selectExistingSql ??=
        $"SELECT id, severity FROM {_alerts} WHERE fingerprint = @fingerprint{_dialect.LockRowsClause}";

    private string UpdateAlertSql => _updateAlertSql ??= $"""
        UPDATE {_alerts}
        SET event_count = @event_count, last_seen = @last_seen, severity = @severity, title = @title,
            description = @description, incident_json = @incident_json, updated_at = @now
        WHERE id = @id
        RETURNING {SnapshotReturning}
        """;

    public async Task<AlertSaveResult> SaveAlertAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(channels);
        var results = await SaveAlertsAsync([new AlertSaveRequest(incident, host, channels)], cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction and one connection for the batch. The inserts go first, in order, many rows
    /// to a statement; the fingerprints already stored (or repeated in the batch) are then updated
    /// in order; the delivery rows and chain entries, which nothing in the batch reads back, are
    /// written together at the end, many to a statement. The ids, flags, rows and chain come out as
    /// from the same saves one by one (a failed insert consumes a PostgreSQL sequence value either
    /// way). Every save of the batch is stamped with the same time.
    /// </remarks>
    public Task<IReadOnlyList<AlertSaveResult>> SaveAlertsAsync(IReadOnlyList<AlertSaveRequest> saves, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saves);
        foreach (var save in saves)
        {
            ArgumentNullException.ThrowIfNull(save, nameof(saves));
            ArgumentNullException.ThrowIfNull(save.Incident, nameof(saves));
            ArgumentNullException.ThrowIfNull(save.Host, nameof(saves));
            ArgumentNullException.ThrowIfNull(save.Channels, nameof(saves));
            if (string.IsNullOrEmpty(save.Incident.Fingerprint))
                throw new ArgumentException("an incident has no fingerprint; the store deduplicates by it", nameof(saves));
        }
        if (saves.Count == 0) return Task.FromResult<IReadOnlyList<AlertSaveResult>>([]);

        var operation = saves.Count == 1 ? $"save alert {saves[0].Incident.Fingerprint}" : $"save {saves.Count} alerts";
        return RunAsync<IReadOnlyList<AlertSaveResult>>(operation, async (connection, ct) =>
        {
            var now = _time.GetUtcNow();
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using var statements = new TransactionStatements(connection, transaction);
            var results = await SaveAllAsync(statements, saves, now, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return results;
        }, cancellationToken);
    }

    private async Task<AlertSaveResult[]> SaveAllAsync(TransactionStatements statements, IReadOnlyList<AlertSaveRequest> saves, DateTimeOffset now, CancellationToken ct)
    {
        var chain = new ChainAppender(this, statements);
        // The chain locks of the hosts saved for are taken first, in one order, so two writers for
        // the same hosts queue up instead of each holding a row the other waits for.
        await chain.LockAsync(saves.Select(s => s.Host), ct).ConfigureAwait(false);

        // Insert-first for the whole batch, in order, many rows to a statement: the new
        // fingerprints come back with their stored state; the known ones, and a fingerprint's
        // repeats in the batch, come back with nothing and are updated next, in order.
        var inserted = new (long Id, string Host, AlertSnapshot State)?[saves.Count];
        var rows = saves.Select(save => InsertRow(save.Incident, save.Host, now)).ToList();
        foreach (var (statement, first, count) in InsertAlerts.For(rows))
        {
            var rowOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = first; i < first + count; i++)
                rowOf.TryAdd(saves[i].Incident.Fingerprint, i);
            await using var reader = await statements.ReadAsync(statement, ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var (host, state, _) = ReadSnapshotRow(reader);
                inserted[rowOf[state.Fingerprint]] = (reader.GetInt64(0), host, state);
            }
        }

        var results = new AlertSaveResult[saves.Count];
        for (var i = 0; i < saves.Count; i++)
        {
            var (incident, _, channels) = saves[i];
            if (inserted[i] is { } row)
            {
                results[i] = new AlertSaveResult(row.Id, IsNew: true);
                QueueDeliveries(statements, row.Id, channels.Distinct(StringComparer.Ordinal).ToList(), NotifyReason.New,
                    incident.Severity, incident.EventCount, now);
                await chain.AppendAsync(row.Id, AlertChain.Created, row.Host, row.State, ct).ConfigureAwait(false);
            }
            else
            {
                var (updatedId, storedHost, state) = await UpdateAsync(statements, incident, now, ct).ConfigureAwait(false);
                results[i] = new AlertSaveResult(updatedId, IsNew: false);
                // Chained on the host of the stored alert, which in a fleet may be another host's.
                await chain.AppendAsync(updatedId, AlertChain.Updated, storedHost, state, ct).ConfigureAwait(false);
            }
        }
        await statements.FlushAsync(ct).ConfigureAwait(false);
        return results;
    }

    private Statement InsertRow(SecurityIncident incident, string host, DateTimeOffset now) =>
        new Statement(InsertAlertRow)
            .Text("@fingerprint", incident.Fingerprint)
            .Text("@host", host)
            .Text("@rule_id", incident.Rule.Id)
            .Text("@rule_name", incident.Rule.Name)
            .Text("@severity", incident.Severity.ToName())
            .Text("@title", incident.Title)
            .Text("@description", incident.Description)
            .Text("@detected_by", incident.DetectedBy)
            .Text("@nist_controls", string.Join(',', incident.NistControls))
            .Value("@cui_involved", _dialect.Boolean(incident.CuiInvolved))
            .Text("@source_ip", incident.Source?.Ip)
            .Text("@user_name", incident.User?.Name)
            .Value("@event_count", incident.EventCount)
            .Timestamp(_dialect, "@first_seen", incident.FirstSeen)
            .Timestamp(_dialect, "@last_seen", incident.LastSeen)
            .Timestamp(_dialect, "@now", now)
            .Text("@incident_json", EcsJson.Serialize(incident));

    /// <summary>Updates the stored alert with the incident's fingerprint; returns its id and its state as stored.</summary>
    private async Task<(long Id, string Host, AlertSnapshot State)> UpdateAsync(
        TransactionStatements statements, SecurityIncident incident, DateTimeOffset now, CancellationToken ct)
    {
        long existingId;
        Severity existingSeverity;
        await using (var existing = await statements.ReadAsync(new Statement(SelectExistingSql).Text("@fingerprint", incident.Fingerprint), ct).ConfigureAwait(false))
        {
            if (!await existing.ReadAsync(ct).ConfigureAwait(false))
                throw new StoreException($"save alert {incident.Fingerprint}", Description, "the alert was neither inserted nor found (deleted concurrently?)");
            existingId = existing.GetInt64(0);
            existingSeverity = ReadSeverity(existing, 1);
        }

        // A burst that has been critical stays critical: the stored severity never goes down, and
        // the stored JSON says the same as the column.
        var merged = incident.Severity >= existingSeverity ? incident : incident with { Severity = existingSeverity };
        var update = new Statement(UpdateAlertSql)
            .Value("@event_count", merged.EventCount)
            .Timestamp(_dialect, "@last_seen", merged.LastSeen)
            .Text("@severity", merged.Severity.ToName())
            .Text("@title", merged.Title)
            .Text("@description", merged.Description)
            .Text("@incident_json", EcsJson.Serialize(merged))
            .Timestamp(_dialect, "@now", now)
            .Int64("@id", existingId);
        await using var updated = await statements.ReadAsync(update, ct).ConfigureAwait(false);
        if (!await updated.ReadAsync(ct).ConfigureAwait(false))
            throw new StoreException($"save alert {incident.Fingerprint}", Description, $"alert {existingId} vanished between its lookup and its update");
        var (host, state, _) = ReadSnapshotRow(updated);
        return (existingId, host, state);
    }
}
