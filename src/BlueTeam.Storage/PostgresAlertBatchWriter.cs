using System.Data.Common;
using Npgsql;

namespace BlueTeam.Storage;

/// <summary>
/// PostgreSQL's <see cref="AlertBatchWriter"/>: each kind of row goes as one statement for the whole batch, its
/// columns as arrays (sent in binary, one parameter each) that <c>unnest</c> turns back into rows.
/// </summary>
/// <remarks>
/// WITH ORDINALITY … ORDER BY keeps the rows in the order given, so identity ids are drawn as one insert per
/// row would draw them. Parameters are positional ($n): Npgsql then has no names to rewrite.
/// </remarks>
internal sealed class PostgresAlertBatchWriter(NpgsqlConnection connection, NpgsqlTransaction transaction, AlertTables tables) : AlertBatchWriter
{
    public override async Task<InsertedAlert?[]> InsertAlertsAsync(IReadOnlyList<AlertInsertRow> rows, DateTimeOffset now,
        Func<DbDataReader, InsertedAlert> read, CancellationToken ct)
    {
        await using var command = Command($"""
            INSERT INTO {tables.Alerts} (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                nist_controls, cui_involved, source_ip, user_name, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
            SELECT r.fingerprint, r.host, r.rule_id, r.rule_name, r.severity, r.title, r.description, r.detected_by,
                r.nist_controls, r.cui_involved, r.source_ip, r.user_name, r.event_count, r.first_seen, r.last_seen, $16, $16, r.incident_json
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::boolean[], $11::text[], $12::text[], $13::integer[], $14::timestamptz[], $15::timestamptz[], $17::text[])
                WITH ORDINALITY AS r(fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                    nist_controls, cui_involved, source_ip, user_name, event_count, first_seen, last_seen, incident_json, ord)
            ORDER BY r.ord
            ON CONFLICT (fingerprint) DO NOTHING
            RETURNING {ReturnedColumns}
            """);
        AddAlertColumns(command, rows, Utc(now), Utc);

        var returned = new List<InsertedAlert>(rows.Count);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) returned.Add(read(reader));
        return ByFirstRow(rows, returned);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One statement takes the run's ids from the column's own sequence (as many as the run has rows, in order, as the
    /// identity would have drawn them), stopping at the first fingerprint already stored; a second inserts the run with
    /// those ids and their links, so a new alert row is written once instead of inserted and then rewritten (about
    /// 3 KB) for its link: that rewrite was a third of the database's time on a batch of new alerts. Only where the
    /// session may write the id column: a fleet host's role may not (so that no host can take ids another host's
    /// inserts will draw), and its rows are linked after their insert as before. The timestamps are sent as whole
    /// microseconds, what timestamptz keeps, so the state linked is the state stored without reading it back.
    /// </remarks>
    public override async Task<int> InsertLeadingNewLinkedAsync(IReadOnlyList<AlertInsertRow> rows, DateTimeOffset now,
        Func<int, long, AlertSnapshot, ChainEntry> link, CancellationToken ct)
    {
        var distinct = LeadingDistinct(rows);
        if (distinct == 0) return 0;
        var ids = new List<long>(distinct);
        await using (var reserve = Command($"""
            SELECT nextval((SELECT pg_get_serial_sequence('{tables.Alerts}', 'id'))::regclass)
            FROM generate_series(1, CASE WHEN has_column_privilege('{tables.Alerts}', 'id', 'INSERT')
                THEN COALESCE((SELECT MIN(b.ord) FROM unnest($1::text[]) WITH ORDINALITY AS b(fingerprint, ord)
                               WHERE EXISTS (SELECT 1 FROM {tables.Alerts} a WHERE a.fingerprint = b.fingerprint)) - 1, $2)
                ELSE 0 END)
            """))
        {
            Add(reserve, Column(Take(rows, distinct), r => r.Fingerprint));
            Add(reserve, distinct);
            await using var reader = await reserve.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) ids.Add(reader.GetInt64(0));
        }
        if (ids.Count == 0) return 0;
        // (The sequence is looked up once, in a subquery: nextval of a name resolves it per row, three times the cost.)
        ids.Sort(); // drawn in this order by one session; sorted all the same, so row i gets the i-th

        var run = Take(rows, ids.Count);
        var stamp = Stored(now);
        var entries = new ChainEntry[run.Count];
        for (var i = 0; i < run.Count; i++)
        {
            var row = run[i];
            entries[i] = link(i, ids[i], new AlertSnapshot(row.Fingerprint, row.RuleId, row.RuleName, row.Severity, row.Title, row.EventCount,
                Stored(row.FirstSeen), Stored(row.LastSeen), stamp, stamp, row.IncidentSha256,
                AckedAt: null, AckedBy: null, AckNote: null, AckedSeverity: null, SilenceId: null));
            LinkedAtInsert(ids[i]);
        }

        await using var command = Command($"""
            INSERT INTO {tables.Alerts} (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                nist_controls, cui_involved, source_ip, user_name, event_count, first_seen, last_seen, created_at, updated_at, incident_json,
                id, chain_seq, prev_hash, row_hash)
            OVERRIDING SYSTEM VALUE
            SELECT r.fingerprint, r.host, r.rule_id, r.rule_name, r.severity, r.title, r.description, r.detected_by,
                r.nist_controls, r.cui_involved, r.source_ip, r.user_name, r.event_count, r.first_seen, r.last_seen, $16, $16, r.incident_json,
                r.id, r.chain_seq, r.prev_hash, r.row_hash
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::boolean[], $11::text[], $12::text[], $13::integer[], $14::timestamptz[], $15::timestamptz[], $17::text[],
                $18::bigint[], $19::bigint[], $20::text[], $21::text[])
                WITH ORDINALITY AS r(fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                    nist_controls, cui_involved, source_ip, user_name, event_count, first_seen, last_seen, incident_json,
                    id, chain_seq, prev_hash, row_hash, ord)
            ORDER BY r.ord
            ON CONFLICT (fingerprint) DO NOTHING
            """);
        AddAlertColumns(command, run, stamp, Stored);
        Add(command, Column(entries, e => e.AlertId));
        Add(command, Column(entries, e => e.Seq));
        Add(command, Column(entries, e => e.PrevHash));
        Add(command, Column(entries, e => e.EntryHash));
        var inserted = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        // Another session stored one of these fingerprints between the two statements: the links made for the rows
        // after it would not match the chain. The transaction is given up whole; the caller's retry updates that alert.
        if (inserted != run.Count)
            throw new ConcurrentSaveException($"{run.Count - inserted} of {run.Count} new alerts were stored by another session meanwhile");
        return run.Count;
    }

    public override async Task WriteChainAsync(IReadOnlyList<ChainEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        await using (var command = Command($"""
            INSERT INTO {tables.Chain} (host, seq, alert_id, kind, fingerprint, rule_id, rule_name, severity, title, event_count,
                first_seen, last_seen, created_at, updated_at, incident_sha256, acked_at, acked_by, ack_note, acked_severity,
                silence_id, prev_hash, entry_hash)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::bigint[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::text[],
                $16::timestamptz[], $17::text[], $18::text[], $19::text[], $20::bigint[], $21::text[], $22::text[])
            """))
        {
            Add(command, Column(entries, e => e.Host));
            Add(command, Column(entries, e => e.Seq));
            Add(command, Column(entries, e => e.AlertId));
            Add(command, Column(entries, e => e.Kind));
            Add(command, Column(entries, e => e.State.Fingerprint));
            Add(command, Column(entries, e => e.State.RuleId));
            Add(command, Column(entries, e => e.State.RuleName));
            Add(command, Column(entries, e => e.State.Severity));
            Add(command, Column(entries, e => e.State.Title));
            Add(command, Column(entries, e => e.State.EventCount));
            Add(command, Column(entries, e => Utc(e.State.FirstSeen)));
            Add(command, Column(entries, e => Utc(e.State.LastSeen)));
            Add(command, Column(entries, e => Utc(e.State.CreatedAt)));
            Add(command, Column(entries, e => Utc(e.State.UpdatedAt)));
            Add(command, Column(entries, e => e.State.IncidentSha256));
            Add(command, Column(entries, e => e.State.AckedAt is { } at ? Utc(at) : (DateTimeOffset?)null));
            Add(command, Column(entries, e => e.State.AckedBy));
            Add(command, Column(entries, e => e.State.AckNote));
            Add(command, Column(entries, e => e.State.AckedSeverity));
            Add(command, Column(entries, e => e.State.SilenceId));
            Add(command, Column(entries, e => e.PrevHash));
            Add(command, Column(entries, e => e.EntryHash));
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        var creations = entries.Where(NeedsLink).ToList();
        if (creations.Count == 0) return;
        await using var link = Command($"""
            UPDATE {tables.Alerts} AS a SET chain_seq = v.seq, prev_hash = v.prev_hash, row_hash = v.row_hash
            FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev_hash, row_hash)
            WHERE a.id = v.id
            """);
        Add(link, Column(creations, e => e.AlertId));
        Add(link, Column(creations, e => e.Seq));
        Add(link, Column(creations, e => e.PrevHash));
        Add(link, Column(creations, e => e.EntryHash));
        await link.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public override async Task WriteDeliveriesAsync(IReadOnlyList<DeliveryRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        await using var command = Command($"""
            INSERT INTO {tables.Deliveries} (alert_id, channel, status, attempts, next_attempt_at, created_at, queued_at, severity, event_count, reason)
            SELECT r.alert_id, r.channel, 'pending', 0, r.queued_at, r.queued_at, r.queued_at, r.severity, r.event_count, r.reason
            FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::integer[], $6::text[])
                WITH ORDINALITY AS r(alert_id, channel, queued_at, severity, event_count, reason, ord)
            ORDER BY r.ord
            """);
        Add(command, Column(rows, r => r.AlertId));
        Add(command, Column(rows, r => r.Channel));
        Add(command, Column(rows, r => Utc(r.QueuedAt)));
        Add(command, Column(rows, r => r.Severity));
        Add(command, Column(rows, r => r.EventCount));
        Add(command, Column(rows, r => r.Reason));
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    // $1..$17 of both alert inserts: one array per column, in the order of the $n: a list, not a loop over column
    // descriptions, so that each array keeps its element type (text[], boolean[], integer[], timestamptz[]) and
    // nothing is boxed.
    private static void AddAlertColumns(NpgsqlCommand command, IReadOnlyList<AlertInsertRow> rows, DateTimeOffset now,
        Func<DateTimeOffset, DateTimeOffset> timestamp)
    {
        Add(command, Column(rows, r => r.Fingerprint));
        Add(command, Column(rows, r => r.Host));
        Add(command, Column(rows, r => r.RuleId));
        Add(command, Column(rows, r => r.RuleName));
        Add(command, Column(rows, r => r.Severity));
        Add(command, Column(rows, r => r.Title));
        Add(command, Column(rows, r => r.Description));
        Add(command, Column(rows, r => r.DetectedBy));
        Add(command, Column(rows, r => r.NistControls));
        Add(command, Column(rows, r => r.CuiInvolved));
        Add(command, Column(rows, r => r.SourceIp));
        Add(command, Column(rows, r => r.UserName));
        Add(command, Column(rows, r => r.EventCount));
        Add(command, Column(rows, r => timestamp(r.FirstSeen)));
        Add(command, Column(rows, r => timestamp(r.LastSeen)));
        Add(command, now);
        Add(command, Column(rows, r => r.IncidentJson));
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // What timestamptz keeps: whole microseconds, in UTC. Sent so, a value is stored exactly (DateTimeOffset.MinValue
    // goes as -infinity and comes back as itself).
    private static DateTimeOffset Stored(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - ticks % 10, TimeSpan.Zero);
    }

    /// <summary>How many rows from the front of <paramref name="rows"/> have fingerprints not repeated before them in the batch.</summary>
    private static int LeadingDistinct(IReadOnlyList<AlertInsertRow> rows)
    {
        var seen = new HashSet<string>(rows.Count, StringComparer.Ordinal);
        var count = 0;
        while (count < rows.Count && seen.Add(rows[count].Fingerprint)) count++;
        return count;
    }

    private static IReadOnlyList<T> Take<T>(IReadOnlyList<T> rows, int count) =>
        count == rows.Count ? rows : rows.Take(count).ToList();

    // Npgsql writes timestamptz only from offset-zero values.
    private static DateTimeOffset Utc(DateTimeOffset value) => value.ToUniversalTime();

    private static T[] Column<TRow, T>(IReadOnlyList<TRow> rows, Func<TRow, T> value)
    {
        var column = new T[rows.Count];
        for (var i = 0; i < column.Length; i++) column[i] = value(rows[i]);
        return column;
    }

    private NpgsqlCommand Command(string sql) => new(sql, connection, transaction);

    private static void Add<T>(NpgsqlCommand command, T value) => command.Parameters.Add(new NpgsqlParameter<T> { TypedValue = value });
}

/// <summary>A batch's new alerts met a fingerprint another session stored meanwhile; the batch's transaction is given up.</summary>
internal sealed class ConcurrentSaveException(string message) : DbException(message);
