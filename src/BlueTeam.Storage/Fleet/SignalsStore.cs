using BlueTeam.Correlation.Fleet;
using Npgsql;
using NpgsqlTypes;

namespace BlueTeam.Storage.Fleet;

/// <summary>
/// Fleet signals in the shared PostgreSQL: every daemon publishes its own (<see cref="PublishAsync"/>), and
/// the daemon that wins the election (<see cref="TryLeadAsync"/>) reads everyone's after its durable cursor.
/// </summary>
/// <remarks>
/// <para>Publications take turns on a transaction-scoped advisory lock, so signal ids become visible in the
/// order they are allocated: a reader that has seen id N will never later find a committed id below N, and a
/// cursor on the id loses nothing. One publication is one short transaction per host and second, which is
/// what serializing costs (docs/PERFORMANCE.md "Fleet").</para>
/// <para>Each publication notifies <see cref="Channel"/> on commit, which wakes the correlator at once.</para>
/// </remarks>
public sealed class SignalsStore : IAsyncDisposable, IDisposable
{
    public const string Channel = "blueteam_fleet_signals";

    // "bluefsig" and "bluefled" in ASCII: distinct from the migration lock ("blueteam") and the host-silence claim lock.
    internal const long PublishLockKey = 0x626c756566736967;
    internal const long LeaderLockKey = 0x626c7565666c6564;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _leaderConnectionString;
    private readonly TimeProvider _time;

    public SignalsStore(string connectionString, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        // The leader's session holds the election lock for as long as it lives: never a pooled connection
        // (returned to a pool it would keep the lock), and keepalives so a dead peer is noticed while idle.
        _leaderConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 10, TcpKeepAlive = true }.ToString();
        _time = time ?? TimeProvider.System;
        Description = PostgresStore.Describe(connectionString);
    }

    public string Description { get; }

    /// <summary>Inserts <paramref name="signals"/> (each carries its host) in one statement and notifies the correlator.</summary>
    public async Task PublishAsync(IReadOnlyList<FleetSignal> signals, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.Count == 0) return;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var turn = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
            {
                turn.Parameters.AddWithValue("key", PublishLockKey);
                await turn.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO blueteam.fleet_signals (host, bucket_start, source, user_name, failures, published_at)
                SELECT h, b, s, u, f, @now FROM unnest(@hosts, @buckets, @sources, @users, @failures) AS t(h, b, s, u, f)
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue("now", _time.GetUtcNow());
                insert.Parameters.Add(new NpgsqlParameter<string[]>("hosts", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = signals.Select(s => s.Host).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("buckets", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = signals.Select(s => s.Bucket.ToUniversalTime()).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter<string[]>("sources", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = signals.Select(s => s.Source).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter<string?[]>("users", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = signals.Select(s => s.User).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter<int[]>("failures", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = signals.Select(s => s.Failures).ToArray() });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', '')", connection, transaction))
                await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw new StoreException($"publish {signals.Count} fleet signal(s)", Description, e);
        }
    }

    /// <summary>
    /// Tries to become the fleet correlator: a session of its own holding the election lock and listening for
    /// signals. Null when another daemon holds it. The lock is released when the session ends (dispose, the
    /// process dies, the connection breaks), and another daemon's next try then wins.
    /// </summary>
    public async Task<SignalsLeaderSession?> TryLeadAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        NpgsqlConnection? connection = null;
        try
        {
            connection = new NpgsqlConnection(_leaderConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
            {
                tryLock.Parameters.AddWithValue("key", LeaderLockKey);
                if (await tryLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    return null;
                }
            }
            var session = new SignalsLeaderSession(connection, host, _time, Description);
            await session.ListenAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch (NpgsqlException e)
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            throw new StoreException("take part in the fleet correlator election", Description, e);
        }
    }

    /// <summary>Per source, the hosts that reported failures from it since <paramref name="since"/> (the busiest sources first).</summary>
    public async Task<IReadOnlyList<FleetSourceSummary>> SummarizeSourcesAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        try
        {
            await using var command = _dataSource.CreateCommand("""
                SELECT source, count(DISTINCT host), sum(failures), min(bucket_start), max(bucket_start)
                FROM blueteam.fleet_signals WHERE bucket_start >= @since
                GROUP BY source ORDER BY count(DISTINCT host) DESC, sum(failures) DESC, source LIMIT @limit
                """);
            command.Parameters.AddWithValue("since", since.ToUniversalTime());
            command.Parameters.AddWithValue("limit", limit);
            var result = new List<FleetSourceSummary>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                result.Add(new FleetSourceSummary(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2),
                    reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
            return result;
        }
        catch (NpgsqlException e)
        {
            throw new StoreException("summarize fleet sources", Description, e);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    public void Dispose() => _dataSource.Dispose();
}

/// <summary>One source across the fleet: how many hosts it failed on, how many failures, from when to when (bucket starts).</summary>
public sealed record FleetSourceSummary(string Source, long Hosts, long Failures, DateTimeOffset FirstBucket, DateTimeOffset LastBucket);
