using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace BlueTeam.Storage;

/// <summary>
/// SQLite's <see cref="AlertBatchWriter"/>: per kind of row, one single-row command whose parameters are made
/// once; every row only sets their values. The statement is compiled at its first run and kept by the command.
/// </summary>
/// <remarks>
/// New alerts go one by one with their id and creation link (<see cref="InsertsOneByOne"/>): the write transaction
/// holds SQLite's only write lock, so the next AUTOINCREMENT id is known, and the row is written once instead of
/// inserted and then rewritten (a 3 KB row) for its link.
/// </remarks>
internal sealed class SqliteAlertBatchWriter(SqliteConnection connection, SqliteTransaction transaction, AlertTables tables) : AlertBatchWriter
{
    private static readonly SqliteDialect Dialect = SqliteDialect.Instance;

    private SqliteCommand? _insertAlert;
    private SqliteCommand? _insertLinkedAlert;
    private readonly HashSet<long> _linkedAtInsert = [];
    private long? _nextId;
    private SqliteCommand? _insertChain;
    private SqliteCommand? _linkAlert;
    private SqliteCommand? _insertDelivery;

    public override async Task<InsertedAlert?[]> InsertAlertsAsync(IReadOnlyList<AlertInsertRow> rows, DateTimeOffset now,
        Func<DbDataReader, InsertedAlert> read, CancellationToken ct)
    {
        var command = _insertAlert ??= Command($"""
            INSERT INTO {tables.Alerts} (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                nist_controls, cui_involved, source_ip, user_name, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17)
            ON CONFLICT (fingerprint) DO NOTHING
            RETURNING {ReturnedColumns}
            """, 17);
        var returned = new List<InsertedAlert>(rows.Count);
        foreach (var row in rows)
        {
            SetAlertValues(command.Parameters, row, now);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await reader.ReadAsync(ct).ConfigureAwait(false)) returned.Add(read(reader));
        }
        return ByFirstRow(rows, returned);
    }

    // $1..$17 of both alert inserts.
    private static void SetAlertValues(SqliteParameterCollection p, AlertInsertRow row, DateTimeOffset now)
    {
        p[0].Value = row.Fingerprint;
        p[1].Value = row.Host;
        p[2].Value = row.RuleId;
        p[3].Value = row.RuleName;
        p[4].Value = row.Severity;
        p[5].Value = row.Title;
        p[6].Value = row.Description;
        p[7].Value = row.DetectedBy;
        p[8].Value = row.NistControls;
        p[9].Value = row.CuiInvolved ? 1L : 0L;
        p[10].Value = (object?)row.SourceIp ?? DBNull.Value;
        p[11].Value = (object?)row.UserName ?? DBNull.Value;
        p[12].Value = (long)row.EventCount;
        p[13].Value = Timestamp(row.FirstSeen);
        p[14].Value = Timestamp(row.LastSeen);
        p[15].Value = Timestamp(now);
        p[16].Value = row.IncidentJson;
    }

    public override bool InsertsOneByOne => true;

    public override async Task<ChainEntry?> TryInsertLinkedAsync(AlertInsertRow row, DateTimeOffset now,
        Func<long, AlertSnapshot, ChainEntry> link, CancellationToken ct)
    {
        var id = _nextId ??= await NextIdAsync(ct).ConfigureAwait(false);
        var entry = link(id, StoredState(row, now));
        var command = _insertLinkedAlert ??= Command($"""
            INSERT INTO {tables.Alerts} (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                nist_controls, cui_involved, source_ip, user_name, event_count, first_seen, last_seen, created_at, updated_at, incident_json,
                id, chain_seq, prev_hash, row_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19, $20, $21)
            ON CONFLICT (fingerprint) DO NOTHING
            """, 21);
        var p = command.Parameters;
        SetAlertValues(p, row, now);
        p[17].Value = id;
        p[18].Value = entry.Seq;
        p[19].Value = entry.PrevHash;
        p[20].Value = entry.EntryHash;
        var inserted = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        // Taken either way: AUTOINCREMENT records an id in sqlite_sequence before the conflict check, as an
        // insert without an id would have used it up.
        _nextId = id + 1;
        if (!inserted) return null;
        _linkedAtInsert.Add(id);
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

    public override async Task WriteChainAsync(IReadOnlyList<ChainEntry> entries, CancellationToken ct)
    {
        foreach (var entry in entries)
        {
            var command = _insertChain ??= Command($"""
                INSERT INTO {tables.Chain} (host, seq, alert_id, kind, fingerprint, rule_id, rule_name, severity, title, event_count,
                    first_seen, last_seen, created_at, updated_at, incident_sha256, acked_at, acked_by, ack_note, acked_severity,
                    silence_id, prev_hash, entry_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
                """, 22);
            var p = command.Parameters;
            var s = entry.State;
            p[0].Value = entry.Host;
            p[1].Value = entry.Seq;
            p[2].Value = entry.AlertId;
            p[3].Value = entry.Kind;
            p[4].Value = s.Fingerprint;
            p[5].Value = s.RuleId;
            p[6].Value = s.RuleName;
            p[7].Value = s.Severity;
            p[8].Value = s.Title;
            p[9].Value = s.EventCount;
            p[10].Value = Timestamp(s.FirstSeen);
            p[11].Value = Timestamp(s.LastSeen);
            p[12].Value = Timestamp(s.CreatedAt);
            p[13].Value = Timestamp(s.UpdatedAt);
            p[14].Value = s.IncidentSha256;
            p[15].Value = Timestamp(s.AckedAt);
            p[16].Value = (object?)s.AckedBy ?? DBNull.Value;
            p[17].Value = (object?)s.AckNote ?? DBNull.Value;
            p[18].Value = (object?)s.AckedSeverity ?? DBNull.Value;
            p[19].Value = (object?)s.SilenceId ?? DBNull.Value;
            p[20].Value = entry.PrevHash;
            p[21].Value = entry.EntryHash;
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);

            if (!AlertChain.IsCreation(entry.Kind) || _linkedAtInsert.Contains(entry.AlertId)) continue;
            var link = _linkAlert ??= Command($"UPDATE {tables.Alerts} SET chain_seq = $2, prev_hash = $3, row_hash = $4 WHERE id = $1", 4);
            link.Parameters[0].Value = entry.AlertId;
            link.Parameters[1].Value = entry.Seq;
            link.Parameters[2].Value = entry.PrevHash;
            link.Parameters[3].Value = entry.EntryHash;
            await link.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    public override async Task WriteDeliveriesAsync(IReadOnlyList<DeliveryRow> rows, CancellationToken ct)
    {
        foreach (var row in rows)
        {
            var command = _insertDelivery ??= Command($"""
                INSERT INTO {tables.Deliveries} (alert_id, channel, status, attempts, next_attempt_at, created_at, queued_at, severity, event_count, reason)
                VALUES ($1, $2, 'pending', 0, $3, $3, $3, $4, $5, $6)
                """, 6);
            var p = command.Parameters;
            p[0].Value = row.AlertId;
            p[1].Value = row.Channel;
            p[2].Value = Timestamp(row.QueuedAt);
            p[3].Value = row.Severity;
            p[4].Value = (long)row.EventCount;
            p[5].Value = row.Reason;
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var command in new[] { _insertAlert, _insertLinkedAlert, _insertChain, _linkAlert, _insertDelivery })
            if (command is not null) await command.DisposeAsync().ConfigureAwait(false);
    }

    private static object Timestamp(DateTimeOffset? value) => Dialect.Timestamp(value).Value;

    // Parameters $1..$n, made once: SQLite numbers "$1" as parameter 1 whatever its place in the text, so a
    // number used twice ($16 above) is one parameter bound once.
    private SqliteCommand Command(string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 1; i <= parameters; i++)
            command.Parameters.Add(new SqliteParameter { ParameterName = "$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return command;
    }
}
