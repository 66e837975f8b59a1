using System.Text.Json;

namespace BlueTeam.Storage;

// Heartbeats and the outbox backlog: what `blueteam status` and the fleet's host_silent rule read.
public abstract partial class AdoStore
{
    public Task UpsertHeartbeatAsync(Heartbeat heartbeat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        ArgumentException.ThrowIfNullOrEmpty(heartbeat.Host);
        var counters = JsonSerializer.Serialize(new Dictionary<string, long>(heartbeat.Counters, StringComparer.Ordinal), StoreJsonContext.Default.DictionaryStringInt64);
        var sources = JsonSerializer.Serialize(new Dictionary<string, string>(heartbeat.Sources, StringComparer.Ordinal), StoreJsonContext.Default.DictionaryStringString);

        return RunAsync($"save heartbeat of {heartbeat.Host}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                INSERT INTO {_heartbeats} (host, version, started_at, last_beat, uptime_ms, counters_json, sources_json, outbox_backlog)
                VALUES (@host, @version, @started_at, @last_beat, @uptime_ms, @counters_json, @sources_json, @outbox_backlog)
                ON CONFLICT (host) DO UPDATE
                SET version = excluded.version, started_at = excluded.started_at, last_beat = excluded.last_beat,
                    uptime_ms = excluded.uptime_ms, counters_json = excluded.counters_json,
                    sources_json = excluded.sources_json, outbox_backlog = excluded.outbox_backlog
                """);
            AddText(command, "@host", heartbeat.Host);
            AddText(command, "@version", heartbeat.Version);
            AddTimestamp(command, "@started_at", heartbeat.StartedAt);
            AddTimestamp(command, "@last_beat", heartbeat.LastBeat);
            Add(command, "@uptime_ms", (long)heartbeat.Uptime.TotalMilliseconds);
            AddText(command, "@counters_json", counters);
            AddText(command, "@sources_json", sources);
            Add(command, "@outbox_backlog", heartbeat.OutboxBacklog);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<Heartbeat>> GetHeartbeatsAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<Heartbeat>>("read heartbeats", async (connection, ct) =>
        {
            await using var command = Command(connection, null,
                $"SELECT host, version, started_at, last_beat, uptime_ms, counters_json, sources_json, outbox_backlog FROM {_heartbeats} ORDER BY host");
            var result = new List<Heartbeat>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                result.Add(new Heartbeat
                {
                    Host = reader.GetString(0),
                    Version = reader.GetString(1),
                    StartedAt = _dialect.ReadTimestamp(reader, 2),
                    LastBeat = _dialect.ReadTimestamp(reader, 3),
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
        RunAsync<IReadOnlyList<ChannelBacklog>>("read the outbox backlog", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT channel, COUNT(*), MIN(next_attempt_at)
                FROM {_deliveries}
                WHERE status = 'pending'
                GROUP BY channel
                ORDER BY channel
                """);
            var result = new List<ChannelBacklog>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(new ChannelBacklog(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : _dialect.ReadTimestamp(reader, 2)));
            return result;
        }, cancellationToken);
}
