using System.Globalization;
using BlueTeam.Storage.Retention;

namespace BlueTeam.Storage.Ado;

// Retention (migration 15): removes the oldest part of a host's history and records the prune in its chain.
internal sealed class AdoRetentionStore(StoreDatabase db, AdoAuditChain auditChain) : IRetentionStore
{
    /// <inheritdoc />
    /// <remarks>
    /// The cut is a prefix of the chain: entries 1..S where S is the last entry before the first one changed after the
    /// cutoff (chain order is write order), lowered below the first entry of any incident that still owes a delivery.
    /// An incident goes with its deliveries when all of its entries are in the prefix; one with a later entry keeps its
    /// row and loses only its old entries. Holding the host's chain lock (PostgreSQL) keeps the daemon's appends out.
    /// </remarks>
    public Task<PruneOutcome> PruneAsync(string host, int retentionDays, DateTimeOffset now, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(retentionDays, 1);
        return db.RunAsync($"prune the history of {host} older than {retentionDays} days", async (connection, ct) =>
        {
            var cutoff = PruneRecord.ToMicroseconds(now - TimeSpan.FromDays(retentionDays));
            var prunedAt = PruneRecord.ToMicroseconds(now);
            await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using var statements = new TransactionStatements(connection, transaction);
            var chain = auditChain.Appender(statements);
            await chain.LockAsync([host], ct).ConfigureAwait(false);

            var previous = await auditChain.ReadLatestPruneAsync(connection, transaction, host, ct).ConfigureAwait(false);
            var from = previous?.PrunedThrough ?? 0;
            var through = await PruneBoundaryAsync(connection, transaction, host, from, cutoff, ct).ConfigureAwait(false);
            if (through <= from)
            {
                await transaction.RollbackAsync(ct).ConfigureAwait(false);
                return new PruneOutcome(host, null, 0, 0, 0, 0, dryRun);
            }

            string throughHash;
            await using (var hash = Command(connection, transaction, $"SELECT entry_hash FROM {db.Chain} WHERE host = @host AND seq = @seq"))
            {
                AddText(hash, "@host", host);
                Add(hash, "@seq", through);
                throughHash = (string)(await hash.ExecuteScalarAsync(ct).ConfigureAwait(false)
                    ?? throw new StoreException($"prune {host}", db.Description, $"chain entry {through} is not there"));
            }

            // Incidents all of whose entries are in the prefix (entries of earlier prunes have alert id 0 and no row).
            var gone = $"SELECT alert_id FROM {db.Chain} WHERE host = @host AND alert_id <> 0 GROUP BY alert_id HAVING MAX(seq) <= @through";
            var deliveries = await PruneExecuteAsync(connection, transaction, $"DELETE FROM {db.Deliveries} WHERE alert_id IN ({gone})", host, through, ct).ConfigureAwait(false);
            var alerts = await PruneExecuteAsync(connection, transaction, $"DELETE FROM {db.Alerts} WHERE host = @host AND id IN ({gone})", host, through, ct).ConfigureAwait(false);
            var entries = await PruneExecuteAsync(connection, transaction, $"DELETE FROM {db.Chain} WHERE host = @host AND seq <= @through", host, through, ct).ConfigureAwait(false);
            var other = await PruneOtherAsync(connection, transaction, host, cutoff, ct).ConfigureAwait(false);

            var head = await auditChain.ReadHeadAsync(connection, transaction, host, ct).ConfigureAwait(false);
            var record = new PruneRecord(host, (head?.Seq ?? through) + 1, through, throughHash, retentionDays, cutoff, entries, alerts, deliveries, prunedAt);
            var state = new AlertSnapshot(
                Fingerprint: "retention", RuleId: "retention", RuleName: "retention", Severity: "info",
                Title: string.Create(CultureInfo.InvariantCulture, $"retention: entries {from + 1}..{through} pruned ({alerts} incidents older than {retentionDays} days)"),
                EventCount: entries, FirstSeen: cutoff, LastSeen: cutoff, CreatedAt: prunedAt, UpdatedAt: prunedAt,
                IncidentSha256: record.Sha256(), AckedAt: null, AckedBy: null, AckNote: null, AckedSeverity: null, SilenceId: null);
            await chain.AppendAsync(0, PruneRecord.ChainKind, host, state, ct).ConfigureAwait(false);
            await statements.FlushAsync(ct).ConfigureAwait(false);

            await using (var insert = Command(connection, transaction, $"""
                INSERT INTO {db.Prunes} ({AdoAuditChain.PruneColumns})
                VALUES (@host, @seq, @through, @through_hash, @days, @cutoff, @entries, @alerts, @deliveries, @pruned_at)
                """))
            {
                AddText(insert, "@host", host);
                Add(insert, "@seq", record.Seq);
                Add(insert, "@through", through);
                AddText(insert, "@through_hash", throughHash);
                Add(insert, "@days", retentionDays);
                db.AddTimestamp(insert, "@cutoff", cutoff);
                Add(insert, "@entries", entries);
                Add(insert, "@alerts", alerts);
                Add(insert, "@deliveries", deliveries);
                db.AddTimestamp(insert, "@pruned_at", prunedAt);
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (dryRun) await transaction.RollbackAsync(ct).ConfigureAwait(false);
            else await transaction.CommitAsync(ct).ConfigureAwait(false);
            return new PruneOutcome(host, record, entries, alerts, deliveries, other, dryRun);
        }, cancellationToken);
    }

    public Task<PruneRecord?> GetLatestPruneAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        return db.RunAsync($"read the latest prune of {host}", (connection, ct) => auditChain.ReadLatestPruneAsync(connection, null, host, ct), cancellationToken);
    }

    public Task<IReadOnlyList<string>> GetChainHostsAsync(CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<string>>("list the hosts of the chain", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT DISTINCT host FROM {db.Chain} ORDER BY host");
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var hosts = new List<string>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) hosts.Add(reader.GetString(0));
            return hosts;
        }, cancellationToken);

    /// <summary>The last chain position that may go: before the first entry changed after the cutoff and before the first entry of an incident still owing a delivery.</summary>
    private async Task<long> PruneBoundaryAsync(DbConnection connection, DbTransaction transaction, string host, long from, DateTimeOffset cutoff, CancellationToken ct)
    {
        long? firstKept, firstOwing, head;
        await using (var command = Command(connection, transaction,
            $"SELECT MIN(seq) FROM {db.Chain} WHERE host = @host AND seq > @from AND updated_at >= @cutoff"))
        {
            AddText(command, "@host", host);
            Add(command, "@from", from);
            db.AddTimestamp(command, "@cutoff", cutoff);
            firstKept = ScalarInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false));
        }
        await using (var command = Command(connection, transaction, $"""
            SELECT MIN(c.seq) FROM {db.Chain} c
            WHERE c.host = @host AND c.alert_id IN (SELECT d.alert_id FROM {db.Deliveries} d WHERE d.status = 'pending')
            """))
        {
            AddText(command, "@host", host);
            firstOwing = ScalarInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false));
        }
        head = (await auditChain.ReadHeadAsync(connection, transaction, host, ct).ConfigureAwait(false))?.Seq;
        var through = firstKept is { } k ? k - 1 : head ?? 0;
        if (firstOwing is { } o) through = Math.Min(through, o - 1);
        return through;
    }

    private static async Task<long> PruneExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, string host, long through, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, sql);
        AddText(command, "@host", host);
        Add(command, "@through", through);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Rows outside the chain that only matter while recent: this host's claims on silent hosts. Silences stay (a
    /// fleet's operators share them and each is small), and so do bans (the record of what the host blocked).
    /// </summary>
    private async Task<long> PruneOtherAsync(DbConnection connection, DbTransaction transaction, string host, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var claims = Command(connection, transaction, $"DELETE FROM {db.SilenceClaims} WHERE claimed_by = @host AND claimed_at < @cutoff");
        AddText(claims, "@host", host);
        db.AddTimestamp(claims, "@cutoff", cutoff);
        return await claims.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static long? ScalarInt64(object? value) => value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
}
