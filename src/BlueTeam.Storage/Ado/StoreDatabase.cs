using System.Text.Json;

namespace BlueTeam.Storage.Ado;

/// <summary>
/// What every part of <see cref="AdoStore"/> shares: the data source, the dialect, the clock, the
/// table names, and <see cref="RunAsync{T}"/>, the one way a part reaches the database.
/// </summary>
/// <remarks>
/// Each call opens a pooled connection, does its work (in one transaction when it writes more than
/// one row) and closes it, so one store can be shared by the pipeline, the outbox and the CLI.
/// Provider failures surface as <see cref="StoreException"/>; cancellation passes through as is.
/// </remarks>
internal sealed class StoreDatabase(DbDataSource dataSource, SqlDialect dialect, TimeProvider time, string description)
{
    public SqlDialect Dialect { get; } = dialect;

    public TimeProvider Time { get; } = time;

    /// <summary>Where the data is, for messages (never includes a password).</summary>
    public string Description { get; } = description;

    // The tables, with the dialect's prefix (the schema on PostgreSQL).
    public string Alerts { get; } = dialect.TablePrefix + "alert_history";
    public string Deliveries { get; } = dialect.TablePrefix + "alert_deliveries";
    public string Checkpoints { get; } = dialect.TablePrefix + "checkpoints";
    public string Migrations { get; } = dialect.TablePrefix + "schema_migrations";
    public string Chain { get; } = dialect.TablePrefix + "alert_chain";
    public string Heartbeats { get; } = dialect.TablePrefix + "heartbeats";
    public string Silences { get; } = dialect.TablePrefix + "silences";
    public string FirstSeen { get; } = dialect.TablePrefix + "first_seen";
    public string SilenceClaims { get; } = dialect.TablePrefix + "host_silence_claims";
    public string Seals { get; } = dialect.TablePrefix + "seals";
    public string Bans { get; } = dialect.TablePrefix + "bans";
    public string Prunes { get; } = dialect.TablePrefix + "chain_prunes";

    private AlertTables? _alertTables;

    /// <summary>The tables the dialect's batch writer writes.</summary>
    public AlertTables AlertTables => _alertTables ??= new(Alerts, Chain, Deliveries);

    /// <summary>
    /// Opens a connection, runs <paramref name="body"/> and turns provider failures into a
    /// <see cref="StoreException"/> naming <paramref name="operation"/> and this store.
    /// </summary>
    public async Task<T> RunAsync<T>(string operation, Func<DbConnection, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await body(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            throw new StoreException(operation, Description, ex);
        }
    }

    /// <summary>Runs <paramref name="sql"/> once per item (its parameters set by <paramref name="bind"/>), all in one write transaction.</summary>
    public Task WriteEachAsync<T>(string operation, IEnumerable<T> items, string sql, Action<DbCommand, T> bind, CancellationToken cancellationToken) =>
        RunAsync(operation, async (connection, ct) =>
        {
            await using var transaction = await Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            foreach (var item in items)
            {
                await using var command = Command(connection, transaction, sql);
                bind(command, item);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>The statements of one write transaction, with the dialect's batch writer.</summary>
    public TransactionStatements Statements(DbConnection connection, DbTransaction transaction) =>
        new(connection, transaction, BatchWriter(connection, transaction));

    public AlertBatchWriter BatchWriter(DbConnection connection, DbTransaction transaction) =>
        Dialect.BatchWriter(connection, transaction, AlertTables);

    public void AddTimestamp(DbCommand command, string name, DateTimeOffset? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        Dialect.SetTimestamp(parameter, value);
        command.Parameters.Add(parameter);
    }

    /// <summary>Releases the data source (and with it the pooled connections).</summary>
    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    // Database, file-system and decoding failures are the store's to report; a bug (null reference,
    // invalid argument) or cancellation passes through unchanged.
    private static bool IsStoreFailure(Exception ex) =>
        ex is DbException or IOException or UnauthorizedAccessException or TimeoutException or JsonException or FormatException;
}
