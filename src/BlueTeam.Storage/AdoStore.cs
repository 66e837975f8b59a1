using System.Data;
using System.Data.Common;
using System.Text.Json;
using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Sources;

namespace BlueTeam.Storage;

/// <summary>
/// The store over any ADO.NET data source: every statement is written once here, and the small
/// <see cref="SqlDialect"/> supplies what differs between SQLite and PostgreSQL.
/// </summary>
/// <remarks>
/// Each call opens a pooled connection, does its work (in one transaction when it writes more than
/// one row) and closes it, so one store can be shared by the pipeline, the outbox and the CLI.
/// Provider failures surface as <see cref="StoreException"/>; cancellation passes through as is.
/// </remarks>
public abstract partial class AdoStore : IBlueTeamStore
{
    private const string AlertColumns = "a.id, a.fingerprint, a.host, a.created_at, a.updated_at, a.incident_json";
    private const string DeliveryColumns = "d.id, d.alert_id, d.channel, d.status, d.attempts, d.last_error, d.delivered_at, d.next_attempt_at";
    private const int DeliveryColumnCount = 8;
    private const int AlertColumnCount = 6;

    private readonly DbDataSource _dataSource;
    private readonly SqlDialect _dialect;
    private readonly TimeProvider _time;

    private readonly string _alerts;
    private readonly string _deliveries;
    private readonly string _checkpoints;
    private readonly string _migrations;
    private readonly string _chain;
    private readonly string _heartbeats;
    private readonly string _silences;
    private readonly string _firstSeen;
    private readonly string _silenceClaims;
    private readonly AlertTables _tables;

    private protected AdoStore(DbDataSource dataSource, SqlDialect dialect, TimeProvider timeProvider, string description)
    {
        _dataSource = dataSource;
        _dialect = dialect;
        _time = timeProvider;
        Description = description;
        _alerts = dialect.TablePrefix + "alert_history";
        _deliveries = dialect.TablePrefix + "alert_deliveries";
        _checkpoints = dialect.TablePrefix + "checkpoints";
        _migrations = dialect.TablePrefix + "schema_migrations";
        _chain = dialect.TablePrefix + "alert_chain";
        _heartbeats = dialect.TablePrefix + "heartbeats";
        _silences = dialect.TablePrefix + "silences";
        _firstSeen = dialect.TablePrefix + "first_seen";
        _silenceClaims = dialect.TablePrefix + "host_silence_claims";
        _tables = new AlertTables(_alerts, _chain, _deliveries);
    }

    public string Description { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Each migration runs in its own transaction and re-checks, inside it, whether another process
    /// applied it meanwhile; PostgreSQL additionally serializes migrators with an advisory lock.
    /// </remarks>
    public Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken) => MigrateAsync(int.MaxValue, cancellationToken);

    /// <summary>Applies the missing migrations up to and including <paramref name="lastVersion"/> (tests build old schemas with it).</summary>
    internal Task<IReadOnlyList<int>> MigrateAsync(int lastVersion, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<int>>("migrate", async (connection, ct) =>
        {
            if (await IsSchemaCurrentAsync(connection, lastVersion, ct).ConfigureAwait(false)) return []; // [fleetsec #19] a fleet host's role may not migrate
            await using (var bootstrap = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false))
            {
                await LockMigrationsAsync(connection, bootstrap, ct).ConfigureAwait(false);
                await ExecuteAsync(connection, bootstrap, _dialect.BootstrapSql, ct).ConfigureAwait(false);
                await bootstrap.CommitAsync(ct).ConfigureAwait(false);
            }

            var applied = new List<int>();
            foreach (var migration in StoreMigrations.All.Where(m => m.Version <= lastVersion))
            {
                await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
                await LockMigrationsAsync(connection, transaction, ct).ConfigureAwait(false);

                await using (var check = Command(connection, transaction, $"SELECT COUNT(*) FROM {_migrations} WHERE version = @version"))
                {
                    Add(check, "@version", migration.Version);
                    if (Convert.ToInt64(await check.ExecuteScalarAsync(ct).ConfigureAwait(false)) > 0)
                    {
                        await transaction.CommitAsync(ct).ConfigureAwait(false);
                        continue;
                    }
                }

                await ExecuteAsync(connection, transaction, _dialect.MigrationSql(migration), ct).ConfigureAwait(false);
                if (migration.AfterSql == MigrationStep.ChainExistingAlerts)
                    await ChainExistingAlertsAsync(connection, transaction, ct).ConfigureAwait(false);
                await using (var record = Command(connection, transaction,
                    $"INSERT INTO {_migrations} (version, description, applied_at) VALUES (@version, @description, @applied_at)"))
                {
                    Add(record, "@version", migration.Version);
                    AddText(record, "@description", migration.Description);
                    AddTimestamp(record, "@applied_at", _time.GetUtcNow());
                    await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                await transaction.CommitAsync(ct).ConfigureAwait(false);
                applied.Add(migration.Version);
            }
            return applied;
        }, cancellationToken);

    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        return ReadDueDeliveriesAsync(channel: null, now, max, cancellationToken);
    }

    /// <summary>
    /// Due deliveries, oldest first; for one <paramref name="channel"/> (its worker's queue) critical ones first.
    /// "Critical" is the alert's current severity (the stored severity only ever rises).
    /// </summary>
    private Task<IReadOnlyList<PendingDelivery>> ReadDueDeliveriesAsync(string? channel, DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<PendingDelivery>>(channel is null ? "read due deliveries" : $"read due deliveries of channel {channel}", async (connection, ct) =>
        {
            var (channelFilter, criticalFirst) = channel is null ? ("", "") : ("d.channel = @channel AND ", "CASE WHEN a.severity = 'critical' THEN 0 ELSE 1 END, ");
            // With each delivery, what its channel last delivered of the same alert: an update says what changed since.
            await using var command = Command(connection, null, $"""
                SELECT {DeliveryColumns}, {AlertColumns}, d.reason, p.severity, p.event_count, p.queued_at
                FROM {_deliveries} d JOIN {_alerts} a ON a.id = d.alert_id
                LEFT JOIN {_deliveries} p ON p.id = (
                    SELECT MAX(q.id) FROM {_deliveries} q
                    WHERE q.alert_id = d.alert_id AND q.channel = d.channel AND q.id < d.id AND q.status = 'delivered')
                WHERE {channelFilter}d.status = 'pending' AND d.next_attempt_at <= @now
                ORDER BY {criticalFirst}d.next_attempt_at, d.id
                LIMIT @max
                """);
            if (channel is not null) AddText(command, "@channel", channel);
            AddTimestamp(command, "@now", now);
            Add(command, "@max", max);
            var result = new List<PendingDelivery>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                const int change = DeliveryColumnCount + AlertColumnCount;
                var alert = ReadAlert(reader, DeliveryColumnCount) with
                {
                    Change = AlertChange.For(ParseReason(reader.GetString(change)),
                        reader.IsDBNull(change + 1) ? null : ReadSeverity(reader, change + 1),
                        reader.IsDBNull(change + 2) ? null : reader.GetInt32(change + 2),
                        reader.IsDBNull(change + 3) ? null : _dialect.ReadTimestamp(reader, change + 3)),
                };
                result.Add(new PendingDelivery(ReadDelivery(reader, 0), alert));
            }
            return result;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="nextAttemptAt"/> is required when the status stays
    /// <see cref="DeliveryStatus.Pending"/> (otherwise the row would never be due again) and is
    /// ignored (stored as null) for a final status. delivered_at is set only for Delivered.
    /// </remarks>
    public Task RecordDeliveryAttemptAsync(long deliveryId, DeliveryStatus status, string? error, DateTimeOffset attemptedAt, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken)
    {
        if (status == DeliveryStatus.Pending && nextAttemptAt is null)
            throw new ArgumentException("a delivery that stays pending needs the time of its next attempt", nameof(nextAttemptAt));
        var statusName = StatusName(status);

        return RunAsync($"record delivery attempt {deliveryId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                UPDATE {_deliveries}
                SET attempts = attempts + 1, status = @status, last_error = @last_error,
                    next_attempt_at = @next_attempt_at, delivered_at = COALESCE(@delivered_at, delivered_at)
                WHERE id = @id
                """);
            AddText(command, "@status", statusName);
            AddText(command, "@last_error", error);
            AddTimestamp(command, "@next_attempt_at", status == DeliveryStatus.Pending ? nextAttemptAt : null);
            AddTimestamp(command, "@delivered_at", status == DeliveryStatus.Delivered ? attemptedAt : null);
            Add(command, "@id", deliveryId);
            if (await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                throw new StoreException($"record delivery attempt {deliveryId}", Description, "no such delivery");
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Newest activity first (last_seen, then id). <see cref="AlertQuery.RuleName"/> matches the
    /// rule's name or its id; <see cref="AlertQuery.Since"/> keeps alerts last seen at or after it.
    /// </remarks>
    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit);

        return RunAsync<IReadOnlyList<AlertRecord>>("list alerts", async (connection, ct) =>
        {
            await using var command = Command(connection, null, "");
            var conditions = new List<string>();
            if (query.MinSeverity is { } min)
            {
                // Severity is stored by name, so "at least" is the set of names at or above it.
                var names = Enum.GetValues<Severity>().Where(s => s >= min).Select((s, i) => (Name: s.ToName(), Parameter: $"@severity{i}")).ToList();
                foreach (var (name, parameter) in names) AddText(command, parameter, name);
                conditions.Add($"a.severity IN ({string.Join(", ", names.Select(n => n.Parameter))})");
            }
            if (query.RuleName is { } rule)
            {
                AddText(command, "@rule", rule);
                conditions.Add("(a.rule_name = @rule OR a.rule_id = @rule)");
            }
            if (query.Host is { } host)
            {
                AddText(command, "@host", host);
                conditions.Add("a.host = @host");
            }
            if (query.Since is { } since)
            {
                AddTimestamp(command, "@since", since);
                conditions.Add("a.last_seen >= @since");
            }
            Add(command, "@limit", query.Limit);
            var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
            command.CommandText = $"SELECT {AlertColumns} FROM {_alerts} a {where} ORDER BY a.last_seen DESC, a.id DESC LIMIT @limit";

            var result = new List<AlertRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(ReadAlert(reader, 0));
            return result;
        }, cancellationToken);
    }

    public Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken) =>
        RunAsync($"read alert {id}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT {AlertColumns} FROM {_alerts} a WHERE a.id = @id");
            Add(command, "@id", id);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadAlert(reader, 0) : null;
        }, cancellationToken);

    public Task<IReadOnlyList<DeliveryRecord>> GetDeliveriesAsync(long alertId, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<DeliveryRecord>>($"read deliveries of alert {alertId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT {DeliveryColumns} FROM {_deliveries} d WHERE d.alert_id = @alert_id ORDER BY d.id");
            Add(command, "@alert_id", alertId);
            var result = new List<DeliveryRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(ReadDelivery(reader, 0));
            return result;
        }, cancellationToken);

    /// <summary>
    /// The host of the checkpoints read and written through <see cref="ICheckpointStore"/>, which
    /// names none: a store used by one host only. Rows from before schema version 12 have it too,
    /// until a named host takes them over.
    /// </summary>
    public const string UnnamedCheckpointHost = "";

    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string collector, CancellationToken cancellationToken) =>
        GetCheckpointsAsync(UnnamedCheckpointHost, collector, cancellationToken);

    /// <summary>The read positions of <paramref name="host"/>'s collector (hosts sharing a database may tail the same paths).</summary>
    /// <remarks>
    /// <see cref="Checkpoint.ReplayFrom"/> comes back as stored: the effective replay position (the offset when none was set).
    /// When the host has none for the collector, it first takes over the collector's rows from before
    /// checkpoints had a host (see <see cref="UnnamedCheckpointHost"/>): on SQLite they are its own;
    /// on a shared PostgreSQL the first host to read them after the upgrade gets them, as the one
    /// row every host overwrote was before.
    /// </remarks>
    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string host, string collector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(collector);
        return RunAsync<IReadOnlyList<Checkpoint>>($"read checkpoints of {collector}", async (connection, ct) =>
        {
            // A write transaction only when there may be rows to take over.
            await using var transaction = host == UnnamedCheckpointHost ? null : await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            if (transaction is not null)
            {
                await using var takeOver = Command(connection, transaction, $"""
                    UPDATE {_checkpoints} SET host = @host
                    WHERE host = '' AND collector = @collector
                      AND NOT EXISTS (SELECT 1 FROM {_checkpoints} mine WHERE mine.host = @host AND mine.collector = @collector)
                    """);
                AddText(takeOver, "@host", host);
                AddText(takeOver, "@collector", collector);
                await takeOver.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using var command = Command(connection, transaction,
                $"SELECT collector, path, device, inode, head_hash, \"offset\", updated_at, COALESCE(replay_from, \"offset\"), cursor FROM {_checkpoints} WHERE host = @host AND collector = @collector ORDER BY path");
            AddText(command, "@host", host);
            AddText(command, "@collector", collector);
            var result = new List<Checkpoint>();
            await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    // Device and inode are unsigned; they are stored bit for bit in a signed 64-bit column.
                    var file = new FileIdentity(unchecked((ulong)reader.GetInt64(2)), unchecked((ulong)reader.GetInt64(3)), reader.GetString(4));
                    result.Add(new Checkpoint(reader.GetString(0), reader.GetString(1), file, reader.GetInt64(5), _dialect.ReadTimestamp(reader, 6))
                    {
                        ReplayFrom = reader.GetInt64(7),
                        Cursor = reader.IsDBNull(8) ? null : reader.GetString(8),
                    });
                }
            }
            if (transaction is not null) await transaction.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, cancellationToken);
    }

    public Task SaveCheckpointsAsync(IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken) =>
        SaveCheckpointsAsync(UnnamedCheckpointHost, checkpoints, cancellationToken);

    /// <summary>Upserts <paramref name="host"/>'s checkpoints by (host, collector, path), in one transaction.</summary>
    public Task SaveCheckpointsAsync(string host, IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(checkpoints);
        if (checkpoints.Count == 0) return Task.CompletedTask;

        return RunAsync($"save {checkpoints.Count} checkpoint(s)", async (connection, ct) =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            foreach (var checkpoint in checkpoints)
            {
                await using var command = Command(connection, transaction, $"""
                    INSERT INTO {_checkpoints} (host, collector, path, device, inode, head_hash, "offset", updated_at, replay_from, cursor)
                    VALUES (@host, @collector, @path, @device, @inode, @head_hash, @offset, @updated_at, @replay_from, @cursor)
                    ON CONFLICT (host, collector, path) DO UPDATE
                    SET device = excluded.device, inode = excluded.inode, head_hash = excluded.head_hash,
                        "offset" = excluded."offset", updated_at = excluded.updated_at, replay_from = excluded.replay_from,
                        cursor = excluded.cursor
                    """);
                AddText(command, "@host", host);
                AddText(command, "@collector", checkpoint.Collector);
                AddText(command, "@path", checkpoint.Path);
                Add(command, "@device", unchecked((long)checkpoint.File.Device));
                Add(command, "@inode", unchecked((long)checkpoint.File.Inode));
                AddText(command, "@head_hash", checkpoint.File.HeadHash ?? "");
                Add(command, "@offset", checkpoint.Offset);
                // The effective position: an unset (or impossible) ReplayFrom is stored as the offset.
                Add(command, "@replay_from", checkpoint.EffectiveReplayFrom);
                AddText(command, "@cursor", checkpoint.Cursor);
                AddTimestamp(command, "@updated_at", checkpoint.UpdatedAt);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeCoreAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the data source (and with it the pooled connections).</summary>
    protected virtual ValueTask DisposeCoreAsync() => _dataSource.DisposeAsync();

    /// <summary>
    /// Opens a connection, runs <paramref name="body"/> and turns provider failures into a
    /// <see cref="StoreException"/> naming <paramref name="operation"/> and this store.
    /// </summary>
    private async Task<T> RunAsync<T>(string operation, Func<DbConnection, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await body(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            throw new StoreException(operation, Description, ex);
        }
    }

    // Database, file-system and decoding failures are the store's to report; a bug (null reference,
    // invalid argument) or cancellation passes through unchanged.
    private static bool IsStoreFailure(Exception ex) =>
        ex is DbException or IOException or UnauthorizedAccessException or TimeoutException or JsonException or FormatException;

    private async Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct)
    {
        if (_dialect.MigrationLockSql is { } sql)
            await ExecuteAsync(connection, transaction, sql, ct).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static void AddText(DbCommand command, string name, string? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.String;
        parameter.Value = (object?)value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private void AddTimestamp(DbCommand command, string name, DateTimeOffset? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        _dialect.SetTimestamp(parameter, value);
        command.Parameters.Add(parameter);
    }

    private AlertRecord ReadAlert(DbDataReader reader, int first)
    {
        var id = reader.GetInt64(first);
        var json = reader.GetString(first + 5);
        var incident = EcsJson.DeserializeIncident(json)
            ?? throw new StoreException($"read alert {id}", Description, "its incident_json is null");
        return new AlertRecord
        {
            Id = id,
            Fingerprint = reader.GetString(first + 1),
            Host = reader.GetString(first + 2),
            CreatedAt = _dialect.ReadTimestamp(reader, first + 3),
            UpdatedAt = _dialect.ReadTimestamp(reader, first + 4),
            Incident = incident,
        };
    }

    private DeliveryRecord ReadDelivery(DbDataReader reader, int first) => new()
    {
        Id = reader.GetInt64(first),
        AlertId = reader.GetInt64(first + 1),
        Channel = reader.GetString(first + 2),
        Status = ParseStatus(reader.GetString(first + 3)),
        Attempts = reader.GetInt32(first + 4),
        LastError = reader.IsDBNull(first + 5) ? null : reader.GetString(first + 5),
        DeliveredAt = reader.IsDBNull(first + 6) ? null : _dialect.ReadTimestamp(reader, first + 6),
        NextAttemptAt = reader.IsDBNull(first + 7) ? null : _dialect.ReadTimestamp(reader, first + 7),
    };

    private static Severity ReadSeverity(DbDataReader reader, int ordinal) => SeverityNames.Parse(reader.GetString(ordinal));

    private static string StatusName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => "pending",
        DeliveryStatus.Delivered => "delivered",
        DeliveryStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown delivery status"),
    };

    private static DeliveryStatus ParseStatus(string text) => text switch
    {
        "pending" => DeliveryStatus.Pending,
        "delivered" => DeliveryStatus.Delivered,
        "failed" => DeliveryStatus.Failed,
        _ => throw new FormatException($"'{text}' is not a delivery status (pending, delivered, failed)"),
    };
}
