using System.Text.Json;

namespace BlueTeam.Storage.Ado;

// Heartbeats and the outbox backlog: what `blueteam status` and the fleet's host_silent rule read.
internal sealed class AdoHeartbeatStore(StoreDatabase db) : IHeartbeatStore
{
    // Names "the blueteam silent-host claim lock" ("bluesilc" in ASCII); chain locks hash host names.
    private const long SilenceClaimLockKey = 0x626c756573696c63;

    public Task UpsertHeartbeatAsync(Heartbeat heartbeat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        ArgumentException.ThrowIfNullOrEmpty(heartbeat.Host);
        var counters = JsonSerializer.Serialize(new Dictionary<string, long>(heartbeat.Counters, StringComparer.Ordinal), StoreJsonContext.Default.DictionaryStringInt64);
        var sources = JsonSerializer.Serialize(new Dictionary<string, string>(heartbeat.Sources, StringComparer.Ordinal), StoreJsonContext.Default.DictionaryStringString);

        return db.RunAsync($"save heartbeat of {heartbeat.Host}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                INSERT INTO {db.Heartbeats} (host, version, started_at, last_beat, uptime_ms, counters_json, sources_json, outbox_backlog)
                VALUES (@host, @version, @started_at, @last_beat, @uptime_ms, @counters_json, @sources_json, @outbox_backlog)
                ON CONFLICT (host) DO UPDATE
                SET version = excluded.version, started_at = excluded.started_at, last_beat = excluded.last_beat,
                    uptime_ms = excluded.uptime_ms, counters_json = excluded.counters_json,
                    sources_json = excluded.sources_json, outbox_backlog = excluded.outbox_backlog
                """);
            AddText(command, "@host", heartbeat.Host);
            AddText(command, "@version", heartbeat.Version);
            db.AddTimestamp(command, "@started_at", heartbeat.StartedAt);
            db.AddTimestamp(command, "@last_beat", heartbeat.LastBeat);
            Add(command, "@uptime_ms", (long)heartbeat.Uptime.TotalMilliseconds);
            AddText(command, "@counters_json", counters);
            AddText(command, "@sources_json", sources);
            Add(command, "@outbox_backlog", heartbeat.OutboxBacklog);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<Heartbeat>> GetHeartbeatsAsync(CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<Heartbeat>>("read heartbeats", async (connection, ct) =>
        {
            await using var command = Command(connection, null,
                $"SELECT host, version, started_at, last_beat, uptime_ms, counters_json, sources_json, outbox_backlog FROM {db.Heartbeats} ORDER BY host");
            var result = new List<Heartbeat>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                result.Add(new Heartbeat
                {
                    Host = reader.GetString(0),
                    Version = reader.GetString(1),
                    StartedAt = db.Dialect.ReadTimestamp(reader, 2),
                    LastBeat = db.Dialect.ReadTimestamp(reader, 3),
                    Uptime = TimeSpan.FromMilliseconds(reader.GetInt64(4)),
                    Counters = JsonSerializer.Deserialize(reader.GetString(5), StoreJsonContext.Default.DictionaryStringInt64)
                        ?? throw new JsonException($"heartbeat of {reader.GetString(0)}: counters_json is null"),
                    Sources = JsonSerializer.Deserialize(reader.GetString(6), StoreJsonContext.Default.DictionaryStringString)
                        ?? throw new JsonException($"heartbeat of {reader.GetString(0)}: sources_json is null"),
                    OutboxBacklog = reader.GetInt32(7),
                });
            }
            return result;
        }, cancellationToken);

    public Task<IReadOnlyList<ChannelBacklog>> GetOutboxBacklogAsync(CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<ChannelBacklog>>("read the outbox backlog", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT channel, COUNT(*), MIN(next_attempt_at)
                FROM {db.Deliveries}
                WHERE status = 'pending'
                GROUP BY channel
                ORDER BY channel
                """);
            var result = new List<ChannelBacklog>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(new ChannelBacklog(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : db.Dialect.ReadTimestamp(reader, 2)));
            return result;
        }, cancellationToken);

    public Task<IReadOnlyList<HostChannelBacklog>> GetOutboxBacklogByHostAsync(CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<HostChannelBacklog>>("read the outbox backlog per host", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT a.host, d.channel, COUNT(*), MIN(d.next_attempt_at)
                FROM {db.Deliveries} d JOIN {db.Alerts} a ON a.id = d.alert_id
                WHERE d.status = 'pending'
                GROUP BY a.host, d.channel
                ORDER BY a.host, d.channel
                """);
            var result = new List<HostChannelBacklog>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                result.Add(new HostChannelBacklog(reader.GetString(0), reader.GetString(1), reader.GetInt64(2),
                    reader.IsDBNull(3) ? null : db.Dialect.ReadTimestamp(reader, 3)));
            }
            return result;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// One INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING: on PostgreSQL a second daemon
    /// inserting the same (host, last_beat) waits for the first one's transaction and then inserts
    /// nothing, so it is not handed the host; on SQLite the write transaction excludes other
    /// writers altogether. The claim commits with the statement, before the caller raises the
    /// incident: a daemon that dies in between loses that one host_silent (the alternative, raising
    /// twice across the fleet, is what the claim exists to prevent).
    /// </remarks>
    public Task<IReadOnlyList<SilentHost>> ClaimSilentHostsAsync(DateTimeOffset silentBefore, string claimedBy, string? excludeHost, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(claimedBy);
        return db.RunAsync<IReadOnlyList<SilentHost>>("claim silent hosts", async (connection, ct) =>
        {
            await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            if (db.Dialect.ChainLockSql is { } lockSql)
            {
                // Claimers take turns (the unique key alone would do for the inserts, but two
                // transactions pruning and inserting several rows in different orders could deadlock).
                await using var lockCommand = Command(connection, transaction, lockSql);
                Add(lockCommand, "@lock_key", SilenceClaimLockKey);
                await lockCommand.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using (var prune = Command(connection, transaction, $"""
                DELETE FROM {db.SilenceClaims}
                WHERE EXISTS (SELECT 1 FROM {db.Heartbeats} h WHERE h.host = {db.SilenceClaims}.host AND h.last_beat > {db.SilenceClaims}.last_beat)
                """))
            {
                await prune.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            var claimed = new List<(string Host, DateTimeOffset LastBeat)>();
            await using (var claim = Command(connection, transaction, $"""
                INSERT INTO {db.SilenceClaims} (host, last_beat, claimed_by, claimed_at)
                SELECT h.host, h.last_beat, @claimed_by, @now FROM {db.Heartbeats} h
                WHERE h.last_beat < @silent_before AND (@exclude_host IS NULL OR h.host <> @exclude_host)
                ORDER BY h.host
                ON CONFLICT (host, last_beat) DO NOTHING
                RETURNING host, last_beat
                """))
            {
                AddText(claim, "@claimed_by", claimedBy);
                db.AddTimestamp(claim, "@now", db.Time.GetUtcNow());
                db.AddTimestamp(claim, "@silent_before", silentBefore);
                AddText(claim, "@exclude_host", excludeHost);
                await using var reader = await claim.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) claimed.Add((reader.GetString(0), db.Dialect.ReadTimestamp(reader, 1)));
            }

            var result = new List<SilentHost>(claimed.Count);
            foreach (var (host, lastBeat) in claimed.OrderBy(c => c.Host, StringComparer.Ordinal))
            {
                await using var version = Command(connection, transaction, $"SELECT version FROM {db.Heartbeats} WHERE host = @host");
                AddText(version, "@host", host);
                result.Add(new SilentHost(host, lastBeat, await version.ExecuteScalarAsync(ct).ConfigureAwait(false) as string ?? ""));
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, cancellationToken);
    }
}
