using Microsoft.Data.Sqlite;

namespace BlueTeam.Storage;

/// <summary>
/// SQLite's <see cref="AlertBatchWriter"/>: per kind of row, one single-row statement compiled once per transaction;
/// every row only binds its values, by index (<see cref="SqliteRowStatement"/>).
/// </summary>
/// <remarks>
/// New alerts go one by one with their id and creation link (<see cref="InsertsOneByOne"/>): the write transaction
/// holds SQLite's only write lock, so the next AUTOINCREMENT id is known, and the row is written once instead of
/// inserted and then rewritten (a 3 KB row) for its link.
/// </remarks>
internal sealed class SqliteAlertBatchWriter(SqliteConnection connection, SqliteTransaction transaction, AlertTables tables) : AlertBatchWriter
{
    private static readonly SqliteDialect Dialect = SqliteDialect.Instance;

    private SqliteRowStatement? _insertLinkedAlert;
    private long? _nextId;
    private SqliteRowStatement? _insertChain;
    private SqliteRowStatement? _linkAlert;
    private SqliteRowStatement? _insertDelivery;

    public override bool InsertsOneByOne => true;

    public override async Task<ChainEntry?> TryInsertLinkedAsync(AlertInsertRow row, DateTimeOffset now,
        Func<long, AlertSnapshot, ChainEntry> link, CancellationToken ct)
    {
        var id = _nextId ??= await NextIdAsync(ct).ConfigureAwait(false);
        var entry = link(id, StoredState(row, now));
        var statement = _insertLinkedAlert ??= new SqliteRowStatement(connection, $"""
            INSERT INTO {tables.Alerts} (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                nist_controls, cui_involved, source_ip, user_name, event_count, first_seen, last_seen, created_at, updated_at, incident_json,
                id, chain_seq, prev_hash, row_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19, $20, $21)
            ON CONFLICT (fingerprint) DO NOTHING
            """, 21);
        statement.Text(1, row.Fingerprint);
        statement.Text(2, row.Host);
        statement.Text(3, row.RuleId);
        statement.Text(4, row.RuleName);
        statement.Text(5, row.Severity);
        statement.Text(6, row.Title);
        statement.Text(7, row.Description);
        statement.Text(8, row.DetectedBy);
        statement.Text(9, row.NistControls);
        statement.Int64(10, row.CuiInvolved ? 1L : 0L);
        statement.Text(11, row.SourceIp);
        statement.Text(12, row.UserName);
        statement.Int64(13, row.EventCount);
        statement.Text(14, TimestampText(row.FirstSeen));
        statement.Text(15, TimestampText(row.LastSeen));
        statement.Text(16, TimestampText(now));
        statement.Text(17, row.IncidentJson);
        statement.Int64(18, id);
        statement.Int64(19, entry.Seq);
        statement.Text(20, entry.PrevHash);
        statement.Text(21, entry.EntryHash);
        var inserted = statement.Execute() == 1;
        // Taken either way: AUTOINCREMENT records an id in sqlite_sequence before the conflict check, as an
        // insert without an id would have used it up.
        _nextId = id + 1;
        if (!inserted) return null;
        LinkedAtInsert(id);
        return entry;
    }

    /// <summary>
    /// What a new row reads back as: SQLite keeps text as its UTF-8 (an unpaired surrogate becomes U+FFFD, as the
    /// chain's encoding makes it too) and a timestamp as its text, exact to the tick; what the chain hashes.
    /// </summary>
    private static AlertSnapshot StoredState(AlertInsertRow row, DateTimeOffset now) => new(
        row.Fingerprint, row.RuleId, row.RuleName, row.Severity, row.Title, row.EventCount,
        Utc(row.FirstSeen), Utc(row.LastSeen), Utc(now), Utc(now), row.IncidentSha256,
        AckedAt: null, AckedBy: null, AckNote: null, AckedSeverity: null, SilenceId: null);

    private static DateTimeOffset Utc(DateTimeOffset value) => new(value.UtcTicks, TimeSpan.Zero);

    // AUTOINCREMENT gives max(the highest id ever, the highest id now) + 1; sqlite_sequence holds the former. The
    // write transaction holds the database's only write lock, so nobody else takes it meanwhile.
    private async Task<long> NextIdAsync(CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{tables.Alerts}'), 0),
                       COALESCE((SELECT MAX(id) FROM {tables.Alerts}), 0)) + 1
            """;
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public override Task WriteChainAsync(IReadOnlyList<ChainEntry> entries, CancellationToken ct)
    {
        foreach (var entry in entries)
        {
            ct.ThrowIfCancellationRequested();
            var statement = _insertChain ??= new SqliteRowStatement(connection, $"""
                INSERT INTO {tables.Chain} (host, seq, alert_id, kind, fingerprint, rule_id, rule_name, severity, title, event_count,
                    first_seen, last_seen, created_at, updated_at, incident_sha256, acked_at, acked_by, ack_note, acked_severity,
                    silence_id, prev_hash, entry_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
                """, 22);
            var s = entry.State;
            statement.Text(1, entry.Host);
            statement.Int64(2, entry.Seq);
            statement.Int64(3, entry.AlertId);
            statement.Text(4, entry.Kind);
            statement.Text(5, s.Fingerprint);
            statement.Text(6, s.RuleId);
            statement.Text(7, s.RuleName);
            statement.Text(8, s.Severity);
            statement.Text(9, s.Title);
            statement.Int64(10, s.EventCount);
            statement.Text(11, TimestampText(s.FirstSeen));
            statement.Text(12, TimestampText(s.LastSeen));
            statement.Text(13, TimestampText(s.CreatedAt));
            statement.Text(14, TimestampText(s.UpdatedAt));
            statement.Text(15, s.IncidentSha256);
            statement.Text(16, TimestampText(s.AckedAt));
            statement.Text(17, s.AckedBy);
            statement.Text(18, s.AckNote);
            statement.Text(19, s.AckedSeverity);
            statement.Int64(20, s.SilenceId);
            statement.Text(21, entry.PrevHash);
            statement.Text(22, entry.EntryHash);
            statement.Execute();

            // Alerts chained after their insert (migration 4's "sealed" entries for rows older than the chain).
            if (!NeedsLink(entry)) continue;
            var link = _linkAlert ??= new SqliteRowStatement(connection,
                $"UPDATE {tables.Alerts} SET chain_seq = $2, prev_hash = $3, row_hash = $4 WHERE id = $1", 4);
            link.Int64(1, entry.AlertId);
            link.Int64(2, entry.Seq);
            link.Text(3, entry.PrevHash);
            link.Text(4, entry.EntryHash);
            link.Execute();
        }
        return Task.CompletedTask;
    }

    public override Task WriteDeliveriesAsync(IReadOnlyList<DeliveryRow> rows, CancellationToken ct)
    {
        foreach (var row in rows)
        {
            ct.ThrowIfCancellationRequested();
            var statement = _insertDelivery ??= new SqliteRowStatement(connection, $"""
                INSERT INTO {tables.Deliveries} (alert_id, channel, status, attempts, next_attempt_at, created_at, queued_at, severity, event_count, reason)
                VALUES ($1, $2, 'pending', 0, $3, $3, $3, $4, $5, $6)
                """, 6);
            statement.Int64(1, row.AlertId);
            statement.Text(2, row.Channel);
            statement.Text(3, TimestampText(row.QueuedAt));
            statement.Text(4, row.Severity);
            statement.Int64(5, row.EventCount);
            statement.Text(6, row.Reason);
            statement.Execute();
        }
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        foreach (var statement in new[] { _insertLinkedAlert, _insertChain, _linkAlert, _insertDelivery }) statement?.Dispose();
        return ValueTask.CompletedTask;
    }

    // The dialect's text for a timestamp (null stays null).
    private static string? TimestampText(DateTimeOffset? value) => Dialect.Timestamp(value).Value as string;
}
