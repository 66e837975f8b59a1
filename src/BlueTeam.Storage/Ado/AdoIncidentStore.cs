namespace BlueTeam.Storage.Ado;

// Saving incidents: the insert-or-update by fingerprint, its outbox rows and its chain entry. A
// single save is a batch of one, so both go through exactly the same statements.
internal sealed class AdoIncidentStore(StoreDatabase db, StoreRows rowReader, AdoAuditChain auditChain)
{
    private string? _selectExistingSql;
    private string? _updateAlertSql;

    private string SelectExistingSql => _selectExistingSql ??=
        $"SELECT id, severity FROM {db.Alerts} WHERE fingerprint = @fingerprint{db.Dialect.LockRowsClause}";

    // The alert's state as stored, returned by the statement that wrote it: the chain hashes what
    // the database kept (PostgreSQL keeps microseconds, SQLite 100 ns ticks) without reading it back.
    // The JSON is the exception: the database keeps the text as sent, so its hash is taken from that.
    private string UpdateAlertSql => _updateAlertSql ??= $"""
        UPDATE {db.Alerts}
        SET event_count = @event_count, last_seen = @last_seen, severity = @severity, title = @title,
            description = @description, incident_json = @incident_json, updated_at = @now
        WHERE id = @id
        RETURNING {AlertBatchWriter.ReturnedColumns}
        """;

    public async Task<AlertSaveResult> SaveAlertAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(channels);
        var results = await SaveAlertsAsync([new AlertSaveRequest(incident, host, channels)], cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <inheritdoc cref="IAlertStore.SaveAlertsAsync"/>
    /// <remarks>
    /// One transaction and one connection for the batch. The inserts go first, in order, through the
    /// dialect's <see cref="AlertBatchWriter"/>; the fingerprints already stored (or repeated in the
    /// batch) are then updated in order; the delivery rows and chain entries, which nothing in the
    /// batch reads back, are written together at the end by the same writer. (SQLite's writer inserts
    /// one by one, each new alert with its chain link, the updates in between: the same order.) The
    /// ids, flags, rows and chain come out as from the same saves one by one (a failed insert consumes
    /// an id either way). Every save of the batch is stamped with the same time.
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
        return db.RunAsync<IReadOnlyList<AlertSaveResult>>(operation, async (connection, ct) =>
        {
            // Rendered before the write transaction, so the write lock is not held while the JSON is written.
            var rows = InsertRows(saves);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await SaveInTransactionAsync(connection, saves, rows, ct).ConfigureAwait(false);
                }
                catch (ConcurrentSaveException) when (attempt < MaxConcurrentSaveAttempts)
                {
                    // Another session stored one of the batch's new fingerprints first; the transaction was rolled
                    // back whole, and the next attempt sees that alert and updates it.
                }
            }
        }, cancellationToken);
    }

    // A batch meets another session's new fingerprint only when two writers raise the same incident at once.
    private const int MaxConcurrentSaveAttempts = 3;

    private async Task<AlertSaveResult[]> SaveInTransactionAsync(DbConnection connection, IReadOnlyList<AlertSaveRequest> saves,
        AlertInsertRow[] rows, CancellationToken ct)
    {
        var now = db.Time.GetUtcNow();
        await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
        await using var statements = db.Statements(connection, transaction);
        var results = await SaveAllAsync(statements, saves, rows, now, ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return results;
    }

    private async Task<AlertSaveResult[]> SaveAllAsync(TransactionStatements statements, IReadOnlyList<AlertSaveRequest> saves,
        AlertInsertRow[] rows, DateTimeOffset now, CancellationToken ct)
    {
        var chain = auditChain.Appender(statements);
        // The chain locks of the hosts saved for are taken first, in one order, so two writers for
        // the same hosts queue up instead of each holding a row the other waits for.
        await chain.LockAsync(saves.Select(s => s.Host), ct).ConfigureAwait(false);

        if (statements.Rows.InsertsOneByOne) return await SaveOneByOneAsync(statements, chain, saves, rows, now, ct).ConfigureAwait(false);

        var results = new AlertSaveResult[saves.Count];
        // The leading run of new alerts, each written once with its id and creation link, where the writer can.
        var linked = await statements.Rows.InsertLeadingNewLinkedAsync(rows, now, (i, id, state) =>
        {
            var entry = chain.Next(id, AlertChain.Created, saves[i].Host, state);
            chain.Append(entry);
            results[i] = Created(statements, saves[i], id, now);
            return entry;
        }, ct).ConfigureAwait(false);

        // Insert-first for the rest of the batch, in order: the new fingerprints come back with their
        // stored state; the known ones, and a fingerprint's repeats in the batch, come back with
        // nothing and are updated next, in order.
        var rest = linked == 0 ? rows : rows[linked..];
        var inserted = rest.Length == 0 ? [] : await statements.Rows.InsertAlertsAsync(rest, now, ReadInserted, ct).ConfigureAwait(false);

        for (var i = linked; i < saves.Count; i++)
        {
            var incident = saves[i].Incident;
            if (inserted[i - linked] is { } row)
            {
                results[i] = Created(statements, saves[i], row.Id, now);
                var state = row.State with { IncidentSha256 = rows[i].IncidentSha256 };
                await chain.AppendAsync(row.Id, AlertChain.Created, row.Host, state, ct).ConfigureAwait(false);
            }
            else
            {
                var (updatedId, storedHost, state) = await UpdateAsync(statements, incident, rows[i], now, ct).ConfigureAwait(false);
                results[i] = new AlertSaveResult(updatedId, IsNew: false);
                // Chained on the host of the stored alert, which in a fleet may be another host's.
                await chain.AppendAsync(updatedId, AlertChain.Updated, storedHost, state, ct).ConfigureAwait(false);
            }
        }
        await statements.FlushAsync(ct).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// The same saves for a writer that inserts one by one, each new alert with its creation link: in order, each
    /// an insert or (its fingerprint known, or repeated) an update, so ids, rows and chain come out as above.
    /// </summary>
    private async Task<AlertSaveResult[]> SaveOneByOneAsync(TransactionStatements statements, ChainAppender chain,
        IReadOnlyList<AlertSaveRequest> saves, AlertInsertRow[] rows, DateTimeOffset now, CancellationToken ct)
    {
        var results = new AlertSaveResult[saves.Count];
        for (var i = 0; i < saves.Count; i++)
        {
            var (incident, host, _) = saves[i];
            var created = await statements.Rows.TryInsertLinkedAsync(rows[i], now,
                (id, state) => chain.Next(id, AlertChain.Created, host, state), ct).ConfigureAwait(false);
            if (created is not null)
            {
                chain.Append(created);
                results[i] = Created(statements, saves[i], created.AlertId, now);
                continue;
            }
            var (updatedId, storedHost, state) = await UpdateAsync(statements, incident, rows[i], now, ct).ConfigureAwait(false);
            results[i] = new AlertSaveResult(updatedId, IsNew: false);
            await chain.AppendAsync(updatedId, AlertChain.Updated, storedHost, state, ct).ConfigureAwait(false);
        }
        await statements.FlushAsync(ct).ConfigureAwait(false);
        return results;
    }

    /// <summary>A new alert's result, with its outbox rows (one per distinct channel) queued for the flush.</summary>
    private static AlertSaveResult Created(TransactionStatements statements, AlertSaveRequest save, long alertId, DateTimeOffset now)
    {
        AdoOutbox.QueueDeliveries(statements, alertId, save.Channels.Distinct(StringComparer.Ordinal).ToList(), NotifyReason.New,
            save.Incident.Severity, save.Incident.EventCount, now);
        return new AlertSaveResult(alertId, IsNew: true);
    }

    private InsertedAlert ReadInserted(System.Data.Common.DbDataReader reader)
    {
        var (host, state, _) = rowReader.ReadSnapshot(reader, incidentSha256: "");
        return new InsertedAlert(reader.GetInt64(0), host, state);
    }

    // Below this many saves, rendering on the caller's thread costs less than handing the work out.
    private const int ParallelRenderThreshold = 32;

    /// <summary>
    /// Each save's row: its JSON rendered once (a few KB, tens of µs) and hashed for the chain. A large batch
    /// renders on the thread pool in parallel, so a daemon with a core to spare raises that much faster.
    /// </summary>
    private static AlertInsertRow[] InsertRows(IReadOnlyList<AlertSaveRequest> saves)
    {
        var rows = new AlertInsertRow[saves.Count];
        if (saves.Count < ParallelRenderThreshold)
        {
            for (var i = 0; i < rows.Length; i++) rows[i] = InsertRow(saves[i].Incident, saves[i].Host);
        }
        else
        {
            try
            {
                Parallel.For(0, rows.Length, i => rows[i] = InsertRow(saves[i].Incident, saves[i].Host));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // As the sequential loop would fail: with the first error as it is, so a caller sees its type.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        return rows;
    }

    private static AlertInsertRow InsertRow(SecurityIncident incident, string host)
    {
        var json = EcsJson.Serialize(incident);
        return new AlertInsertRow(
            incident.Fingerprint, host, incident.Rule.Id, incident.Rule.Name, incident.Severity.ToName(), incident.Title,
            incident.Description, incident.DetectedBy, string.Join(',', incident.NistControls), incident.CuiInvolved,
            incident.Source?.Ip, incident.User?.Name, incident.EventCount, incident.FirstSeen, incident.LastSeen,
            json, AlertChain.Sha256Hex(json));
    }

    /// <summary>Updates the stored alert with the incident's fingerprint; returns its id and its state as stored.</summary>
    /// <param name="rendered">The incident's row as rendered for an insert: its JSON is stored unless the severity stays higher.</param>
    private async Task<(long Id, string Host, AlertSnapshot State)> UpdateAsync(
        TransactionStatements statements, SecurityIncident incident, AlertInsertRow rendered, DateTimeOffset now, CancellationToken ct)
    {
        long existingId;
        Severity existingSeverity;
        await using (var existing = await statements.ReadAsync(new Statement(SelectExistingSql).Text("@fingerprint", incident.Fingerprint), ct).ConfigureAwait(false))
        {
            if (!await existing.ReadAsync(ct).ConfigureAwait(false))
                throw new StoreException($"save alert {incident.Fingerprint}", db.Description, "the alert was neither inserted nor found (deleted concurrently?)");
            existingId = existing.GetInt64(0);
            existingSeverity = StoreRows.ReadSeverity(existing, 1);
        }

        // A burst that has been critical stays critical: the stored severity never goes down, and
        // the stored JSON says the same as the column.
        var merged = incident.Severity >= existingSeverity ? incident : incident with { Severity = existingSeverity };
        var (json, sha256) = ReferenceEquals(merged, incident)
            ? (rendered.IncidentJson, rendered.IncidentSha256)
            : (EcsJson.Serialize(merged), null);
        var update = new Statement(UpdateAlertSql)
            .Value("@event_count", merged.EventCount)
            .Timestamp(db.Dialect, "@last_seen", merged.LastSeen)
            .Text("@severity", merged.Severity.ToName())
            .Text("@title", merged.Title)
            .Text("@description", merged.Description)
            .Text("@incident_json", json)
            .Timestamp(db.Dialect, "@now", now)
            .Int64("@id", existingId);
        await using var updated = await statements.ReadAsync(update, ct).ConfigureAwait(false);
        if (!await updated.ReadAsync(ct).ConfigureAwait(false))
            throw new StoreException($"save alert {incident.Fingerprint}", db.Description, $"alert {existingId} vanished between its lookup and its update");
        var (host, state, _) = rowReader.ReadSnapshot(updated, sha256 ?? AlertChain.Sha256Hex(json));
        return (existingId, host, state);
    }
}
