using BlueTeam.Storage.Retention;

namespace BlueTeam.Storage.Ado;

// The audit chain: appended to inside the write transactions that change an alert row (saves, acks,
// silenced marks, prunes), walked by VerifyChainAsync.
internal sealed class AdoAuditChain(StoreDatabase db, StoreRows rows) : IAuditChain
{
    public const string PruneColumns =
        "host, seq, pruned_through, through_hash, retention_days, cutoff, entries_removed, alerts_removed, deliveries_removed, pruned_at";

    private const string ChainColumns =
        "c.host, c.seq, c.alert_id, c.kind, c.fingerprint, c.rule_id, c.rule_name, c.severity, c.title, c.event_count, c.first_seen, " +
        "c.last_seen, c.created_at, c.updated_at, c.incident_sha256, c.acked_at, c.acked_by, c.ack_note, c.acked_severity, c.silence_id, " +
        "c.prev_hash, c.entry_hash";

    /// <inheritdoc />
    /// <remarks>
    /// Reads the chain in sequence order and recomputes every hash; after a broken link it reads on
    /// (without trusting the hashes) only to learn each alert's last entry, so that the break
    /// reported is the first in chain order whatever its kind. Alert rows are then compared with
    /// the last entry about them. Memory grows with the number of alerts, not of entries.
    /// </remarks>
    public Task<IReadOnlyList<ChainVerification>> VerifyChainAsync(string? host, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<ChainVerification>>(host is null ? "verify the alert chain" : $"verify the alert chain of {host}", async (connection, ct) =>
        {
            // One snapshot of the database for the whole walk, so a daemon writing meanwhile cannot
            // make the rows and the chain look out of step (SQLite promotes this level to its own
            // serializable read transaction).
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
            var hosts = new List<string>();
            if (host is not null)
            {
                hosts.Add(host);
            }
            else
            {
                await using var command = Command(connection, transaction,
                    $"SELECT host FROM {db.Chain} UNION SELECT host FROM {db.Alerts} ORDER BY 1");
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) hosts.Add(reader.GetString(0));
            }

            var results = new List<ChainVerification>(hosts.Count);
            foreach (var h in hosts)
                results.Add(await VerifyHostAsync(connection, transaction, h, ct).ConfigureAwait(false));
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return results;
        }, cancellationToken);

    public Task<ChainHead?> GetChainHeadAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        return db.RunAsync($"read the chain head of {host}", (connection, ct) => ReadHeadAsync(connection, null, host, ct), cancellationToken);
    }

    /// <summary>
    /// Appends the alert's current state to its host's chain. Called in the transaction that just
    /// changed the row, after the change: the state hashed is read back from the database, so the
    /// hash covers exactly what was stored (PostgreSQL keeps microseconds, SQLite 100 ns ticks).
    /// </summary>
    public async Task AppendEntryAsync(DbConnection connection, DbTransaction transaction, long alertId, string kind, CancellationToken ct)
    {
        string host;
        AlertSnapshot state;
        await using (var select = Command(connection, transaction, $"SELECT {StoreRows.SnapshotColumns} FROM {db.Alerts} a WHERE a.id = @id"))
        {
            Add(select, "@id", alertId);
            await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                throw new StoreException($"chain alert {alertId}", db.Description, "the alert row is not there");
            (host, state, _) = rows.ReadSnapshot(reader);
        }

        await using var statements = db.Statements(connection, transaction);
        await Appender(statements).AppendAsync(alertId, kind, host, state, ct).ConfigureAwait(false);
        await statements.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>An appender to the hosts' chains for the write transaction of <paramref name="statements"/>.</summary>
    public ChainAppender Appender(TransactionStatements statements)
    {
        statements.UseRowsOf(db);
        return new ChainAppender(db.Dialect, this, statements);
    }

    /// <summary>Migration 4: alerts stored before the chain existed are chained as they are now, oldest first.</summary>
    public async Task ChainExistingAlertsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct)
    {
        var ids = new List<long>();
        await using (var select = Command(connection, transaction, $"SELECT id FROM {db.Alerts} ORDER BY id"))
        {
            await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) ids.Add(reader.GetInt64(0));
        }
        foreach (var id in ids)
            await AppendEntryAsync(connection, transaction, id, AlertChain.Sealed, ct).ConfigureAwait(false);
    }

    public async Task<ChainHead?> ReadHeadAsync(DbConnection connection, DbTransaction? transaction, string host, CancellationToken ct)
    {
        await using var command = Command(connection, transaction,
            $"SELECT seq, entry_hash FROM {db.Chain} WHERE host = @host ORDER BY seq DESC LIMIT 1");
        AddText(command, "@host", host);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? new ChainHead(host, reader.GetInt64(0), reader.GetString(1)) : null;
    }

    public async Task<PruneRecord?> ReadLatestPruneAsync(DbConnection connection, DbTransaction? transaction, string host, CancellationToken ct)
    {
        await using var command = Command(connection, transaction,
            $"SELECT {PruneColumns} FROM {db.Prunes} WHERE host = @host ORDER BY pruned_through DESC, seq DESC LIMIT 1");
        AddText(command, "@host", host);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new PruneRecord(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt32(4),
            db.Dialect.ReadTimestamp(reader, 5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), db.Dialect.ReadTimestamp(reader, 9));
    }

    private async Task<ChainVerification> VerifyHostAsync(DbConnection connection, DbTransaction transaction, string host, CancellationToken ct)
    {
        ChainBreak? linkBreak = null;
        long checkedEntries = 0;
        // After a prune (retention) the walk starts at the first entry kept, linked to the last one pruned; the prune
        // record is itself an entry of the chain, checked below like any other.
        var prune = await ReadLatestPruneAsync(connection, transaction, host, ct).ConfigureAwait(false);
        long expectedSeq = (prune?.PrunedThrough ?? 0) + 1;
        var prev = prune?.ThroughHash ?? AlertChain.Genesis;
        var pruneEntrySeen = false;
        var lastByAlert = new Dictionary<long, ChainEntry>();
        var creationByAlert = new Dictionary<long, ChainEntry>();

        await using (var command = Command(connection, transaction, $"SELECT {ChainColumns} FROM {db.Chain} c WHERE c.host = @host AND c.seq >= @first ORDER BY c.seq"))
        {
            AddText(command, "@host", host);
            Add(command, "@first", expectedSeq);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var entry = ReadChainEntry(reader);
                if (entry.Kind == Retention.PruneRecord.ChainKind)
                {
                    if (entry.Seq == prune?.Seq)
                    {
                        pruneEntrySeen = true;
                        if (linkBreak is null && entry.State.IncidentSha256 != prune.Sha256())
                            linkBreak = new ChainBreak(entry.Seq, null, ChainBreakKind.HashMismatch,
                                $"the prune record of entry {entry.Seq} was edited: it no longer hashes to what the entry holds");
                    }
                }
                else
                {
                    lastByAlert[entry.AlertId] = entry;
                    if (AlertChain.IsCreation(entry.Kind)) creationByAlert.TryAdd(entry.AlertId, entry);
                }
                if (linkBreak is not null) continue;

                if (entry.Seq != expectedSeq)
                {
                    var missing = entry.Seq == expectedSeq + 1 ? $"entry {expectedSeq} is" : $"entries {expectedSeq}..{entry.Seq - 1} are";
                    linkBreak = new ChainBreak(expectedSeq, null, ChainBreakKind.Gap, $"{missing} missing (deleted from the chain log)");
                    continue;
                }
                if (entry.PrevHash != prev)
                {
                    linkBreak = new ChainBreak(entry.Seq, entry.AlertId, ChainBreakKind.BrokenLink,
                        $"entry {entry.Seq} points to prev_hash {entry.PrevHash}, but entry {entry.Seq - 1} hashes to {prev}");
                    continue;
                }
                var recomputed = AlertChain.Hash(entry.PrevHash, host, entry.Seq, entry.AlertId, entry.Kind, entry.State);
                if (recomputed != entry.EntryHash)
                {
                    linkBreak = new ChainBreak(entry.Seq, entry.AlertId, ChainBreakKind.HashMismatch,
                        $"entry {entry.Seq} was edited: its contents hash to {recomputed}, not to the stored {entry.EntryHash}");
                    continue;
                }
                checkedEntries++;
                prev = entry.EntryHash;
                expectedSeq++;
            }
        }

        var breaks = new List<ChainBreak>();
        if (linkBreak is not null) breaks.Add(linkBreak);
        if (prune is not null && !pruneEntrySeen)
            breaks.Add(new ChainBreak(prune.Seq, null, ChainBreakKind.Gap,
                $"a prune record says entries up to {prune.PrunedThrough} were pruned, but its own chain entry {prune.Seq} is missing"));

        await using (var command = Command(connection, transaction, $"SELECT {StoreRows.SnapshotColumns} FROM {db.Alerts} a WHERE a.host = @host ORDER BY a.id"))
        {
            AddText(command, "@host", host);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var id = reader.GetInt64(0);
                var (_, state, link) = rows.ReadSnapshot(reader);
                if (!lastByAlert.Remove(id, out var last))
                {
                    breaks.Add(new ChainBreak(null, id, ChainBreakKind.AlertNotChained, $"alert {id} has no entry in the chain (inserted outside blueteam)"));
                    continue;
                }
                var differences = last.State.Differences(state);
                if (differences.Count > 0)
                {
                    breaks.Add(new ChainBreak(last.Seq, id, ChainBreakKind.AlertEdited,
                        $"alert {id} differs from its last chain entry {last.Seq} in {string.Join(", ", differences)}"));
                    continue;
                }
                if (creationByAlert.TryGetValue(id, out var creation)
                    && (link.Seq != creation.Seq || link.PrevHash != creation.PrevHash || link.RowHash != creation.EntryHash))
                {
                    breaks.Add(new ChainBreak(creation.Seq, id, ChainBreakKind.AlertEdited,
                        $"alert {id}'s chain_seq, prev_hash or row_hash differ from its creation entry {creation.Seq}"));
                }
            }
        }
        foreach (var (id, last) in lastByAlert)
            breaks.Add(new ChainBreak(last.Seq, id, ChainBreakKind.AlertDeleted, $"alert {id} is in the chain (last entry {last.Seq}) but its row is gone"));

        var first = breaks.OrderBy(b => b.Seq ?? long.MaxValue).ThenBy(b => b.AlertId).FirstOrDefault();
        var head = await ReadHeadAsync(connection, transaction, host, ct).ConfigureAwait(false);
        return new ChainVerification(host, checkedEntries, head, first, prune);
    }

    private ChainEntry ReadChainEntry(DbDataReader reader)
    {
        var state = new AlertSnapshot(
            Fingerprint: reader.GetString(4),
            RuleId: reader.GetString(5),
            RuleName: reader.GetString(6),
            Severity: reader.GetString(7),
            Title: reader.GetString(8),
            EventCount: reader.GetInt64(9),
            FirstSeen: db.Dialect.ReadTimestamp(reader, 10),
            LastSeen: db.Dialect.ReadTimestamp(reader, 11),
            CreatedAt: db.Dialect.ReadTimestamp(reader, 12),
            UpdatedAt: db.Dialect.ReadTimestamp(reader, 13),
            IncidentSha256: reader.GetString(14),
            AckedAt: reader.IsDBNull(15) ? null : db.Dialect.ReadTimestamp(reader, 15),
            AckedBy: NullableString(reader, 16),
            AckNote: NullableString(reader, 17),
            AckedSeverity: NullableString(reader, 18),
            SilenceId: reader.IsDBNull(19) ? null : reader.GetInt64(19));
        return new ChainEntry(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), state, reader.GetString(20), reader.GetString(21));
    }

}
