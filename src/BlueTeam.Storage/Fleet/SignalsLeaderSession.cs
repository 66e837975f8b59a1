using System.Text.Json;
using BlueTeam.Correlation.Fleet;
using Npgsql;

namespace BlueTeam.Storage.Fleet;

/// <summary>
/// The elected fleet correlator's own session: it holds the election lock, listens for new signals, and
/// reads and writes the correlator's state (cursor, open fleet incidents) through the same connection, so
/// that a daemon whose session was lost (and with it the lock) can no longer move the cursor.
/// </summary>
/// <remarks>Used by one worker at a time: an Npgsql connection runs one command at a time.</remarks>
public sealed class SignalsLeaderSession : IAsyncDisposable
{
    /// <summary>The one cursor of the fleet correlator (a name, so that a second kind of reader could keep its own).</summary>
    public const string CursorName = "fleet_correlator";

    private readonly NpgsqlConnection _connection;
    private readonly string _host;
    private readonly TimeProvider _time;
    private readonly string _description;
    private volatile bool _notified;

    internal SignalsLeaderSession(NpgsqlConnection connection, string host, TimeProvider time, string description)
    {
        _connection = connection;
        _host = host;
        _time = time;
        _description = description;
        _connection.Notification += (_, _) => _notified = true;
    }

    internal async Task ListenAsync(CancellationToken cancellationToken)
    {
        await using var listen = new NpgsqlCommand($"LISTEN {SignalsStore.Channel}", _connection);
        await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until a publication is notified or <paramref name="timeout"/> passes; true when notified (also for
    /// notifications that arrived while a command ran). A broken session throws <see cref="StoreException"/>.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_notified)
        {
            _notified = false;
            return true;
        }
        try
        {
            await _connection.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw new StoreException("wait for fleet signals", _description, e);
        }
        var notified = _notified;
        _notified = false;
        return notified;
    }

    /// <summary>The id of the last signal the correlator finished with (0 before the first).</summary>
    public Task<long> ReadCursorAsync(CancellationToken cancellationToken) => RunAsync("read the fleet cursor", async ct =>
    {
        await using var command = new NpgsqlCommand("SELECT last_id FROM blueteam.fleet_cursor WHERE name = @name", _connection);
        command.Parameters.AddWithValue("name", CursorName);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long id ? id : 0L;
    }, cancellationToken);

    /// <summary>Up to <paramref name="max"/> signals after <paramref name="afterId"/>, in id order.</summary>
    public Task<IReadOnlyList<FleetSignal>> ReadAfterAsync(long afterId, int max, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<FleetSignal>>("read fleet signals", async ct =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT id, host, bucket_start, source, user_name, failures FROM blueteam.fleet_signals
                WHERE id > @after ORDER BY id LIMIT @max
                """, _connection);
            command.Parameters.AddWithValue("after", afterId);
            command.Parameters.AddWithValue("max", max);
            return await ReadSignalsAsync(command, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The signals up to <paramref name="upToId"/> whose bucket starts at or after <paramref name="since"/>: a new correlator's window.</summary>
    public Task<IReadOnlyList<FleetSignal>> ReadWindowAsync(DateTimeOffset since, long upToId, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<FleetSignal>>("read the fleet signals' window", async ct =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT id, host, bucket_start, source, user_name, failures FROM blueteam.fleet_signals
                WHERE bucket_start >= @since AND id <= @upto ORDER BY id
                """, _connection);
            command.Parameters.AddWithValue("since", since.ToUniversalTime());
            command.Parameters.AddWithValue("upto", upToId);
            return await ReadSignalsAsync(command, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The fleet incidents last fed at or after <paramref name="since"/>, whoever raised them.</summary>
    public Task<IReadOnlyList<FleetEpisode>> ReadEpisodesAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<FleetEpisode>>("read open fleet incidents", async ct =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT rule_name, group_key, first_seen, last_seen, fingerprint, hosts_json, host, raised
                FROM blueteam.fleet_incidents WHERE last_seen >= @since ORDER BY rule_name, group_key, first_seen
                """, _connection);
            command.Parameters.AddWithValue("since", since.ToUniversalTime());
            var result = new List<FleetEpisode>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var hosts = JsonSerializer.Deserialize(reader.GetString(5), StoreJsonContext.Default.DictionaryStringInt64)
                    ?? throw new JsonException($"fleet incident {reader.GetString(4)}: hosts_json is null");
                result.Add(new FleetEpisode(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetString(4), new Dictionary<string, long>(hosts, StringComparer.Ordinal), reader.GetString(6), reader.GetBoolean(7)));
            }
            return result;
        }, cancellationToken);

    /// <summary>
    /// In one transaction: the changed fleet incidents (new ones inserted as not yet raised, continued ones
    /// updated) and the cursor moved to <paramref name="cursor"/>. A correlator that dies after this and before
    /// raising leaves the new incidents marked unraised, for its successor to raise.
    /// </summary>
    public Task CommitAsync(long cursor, IReadOnlyList<FleetEpisode> changed, CancellationToken cancellationToken) => RunAsync("commit the fleet cursor", async ct =>
    {
        var now = _time.GetUtcNow();
        await using var transaction = await _connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        foreach (var episode in changed)
        {
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO blueteam.fleet_incidents (rule_name, group_key, first_seen, last_seen, fingerprint, hosts_json, host, raised, updated_by, updated_at)
                VALUES (@rule, @key, @first, @last, @fingerprint, @hosts, @raised_by, @raised, @me, @now)
                ON CONFLICT (rule_name, group_key, first_seen) DO UPDATE
                SET last_seen = excluded.last_seen, hosts_json = excluded.hosts_json, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                """, _connection, transaction);
            upsert.Parameters.AddWithValue("rule", episode.RuleName);
            upsert.Parameters.AddWithValue("key", episode.Key);
            upsert.Parameters.AddWithValue("first", episode.FirstSeen.ToUniversalTime());
            upsert.Parameters.AddWithValue("last", episode.LastSeen.ToUniversalTime());
            upsert.Parameters.AddWithValue("fingerprint", episode.Fingerprint);
            upsert.Parameters.AddWithValue("hosts", JsonSerializer.Serialize(new Dictionary<string, long>(episode.Hosts, StringComparer.Ordinal), StoreJsonContext.Default.DictionaryStringInt64));
            upsert.Parameters.AddWithValue("raised_by", episode.RaisedBy);
            upsert.Parameters.AddWithValue("raised", episode.Raised);
            upsert.Parameters.AddWithValue("me", _host);
            upsert.Parameters.AddWithValue("now", now);
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using (var move = new NpgsqlCommand("""
            INSERT INTO blueteam.fleet_cursor (name, last_id, host, updated_at) VALUES (@name, @id, @me, @now)
            ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id, host = excluded.host, updated_at = excluded.updated_at
            """, _connection, transaction))
        {
            move.Parameters.AddWithValue("name", CursorName);
            move.Parameters.AddWithValue("id", cursor);
            move.Parameters.AddWithValue("me", _host);
            move.Parameters.AddWithValue("now", now);
            await move.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    /// <summary>Marks fleet incidents as raised (stored through the alert engine).</summary>
    public Task MarkRaisedAsync(IReadOnlyCollection<string> fingerprints, CancellationToken cancellationToken) => RunAsync("mark fleet incidents raised", async ct =>
    {
        if (fingerprints.Count == 0) return true;
        await using var command = new NpgsqlCommand("""
            UPDATE blueteam.fleet_incidents SET raised = true, updated_by = @me, updated_at = @now WHERE fingerprint = ANY(@fingerprints)
            """, _connection);
        command.Parameters.AddWithValue("me", _host);
        command.Parameters.AddWithValue("now", _time.GetUtcNow());
        command.Parameters.AddWithValue("fingerprints", fingerprints.ToArray());
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    /// <summary>Deletes the signals read (up to <paramref name="upToId"/>) whose bucket began before <paramref name="before"/>; the number deleted.</summary>
    public Task<int> PruneAsync(DateTimeOffset before, long upToId, CancellationToken cancellationToken) => RunAsync("prune old fleet signals", async ct =>
    {
        await using var command = new NpgsqlCommand("DELETE FROM blueteam.fleet_signals WHERE bucket_start < @before AND id <= @upto", _connection);
        command.Parameters.AddWithValue("before", before.ToUniversalTime());
        command.Parameters.AddWithValue("upto", upToId);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>
    /// Steps down: releases the lock before closing, so the next daemon's try wins at once (a closed session
    /// frees it too, but the server does that a moment after the socket closes). A broken session is just closed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_connection.FullState == System.Data.ConnectionState.Open)
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", _connection);
                await unlock.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
        catch (NpgsqlException)
        {
            // The session is gone, and with it the lock: nothing left to release.
        }
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<FleetSignal>> ReadSignalsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var result = new List<FleetSignal>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            result.Add(new FleetSignal(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt32(5)));
        }
        return result;
    }

    private async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or JsonException or InvalidOperationException { Source: "Npgsql" })
        {
            throw new StoreException(operation, _description, e);
        }
    }
}
