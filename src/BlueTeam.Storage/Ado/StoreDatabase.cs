using System.Data.Common;
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
internal sealed class StoreDatabase
{
    private readonly DbDataSource _dataSource;

    public StoreDatabase(DbDataSource dataSource, SqlDialect dialect, TimeProvider time, string description)
    {
        _dataSource = dataSource;
        Dialect = dialect;
        Time = time;
        Description = description;
        var prefix = dialect.TablePrefix;
        Alerts = prefix + "alert_history";
        Deliveries = prefix + "alert_deliveries";
        Checkpoints = prefix + "checkpoints";
        Migrations = prefix + "schema_migrations";
        Chain = prefix + "alert_chain";
        Heartbeats = prefix + "heartbeats";
        Silences = prefix + "silences";
        FirstSeen = prefix + "first_seen";
        SilenceClaims = prefix + "host_silence_claims";
        Seals = prefix + "seals";
        Bans = prefix + "bans";
        Prunes = prefix + "chain_prunes";
        AlertTables = new AlertTables(Alerts, Chain, Deliveries);
    }

    public SqlDialect Dialect { get; }

    public TimeProvider Time { get; }

    /// <summary>Where the data is, for messages (never includes a password).</summary>
    public string Description { get; }

    public string Alerts { get; }

    public string Deliveries { get; }

    public string Checkpoints { get; }

    public string Migrations { get; }

    public string Chain { get; }

    public string Heartbeats { get; }

    public string Silences { get; }

    public string FirstSeen { get; }

    public string SilenceClaims { get; }

    public string Seals { get; }

    public string Bans { get; }

    public string Prunes { get; }

    /// <summary>The tables the dialect's batch writer writes.</summary>
    public AlertTables AlertTables { get; }

    /// <summary>
    /// Opens a connection, runs <paramref name="body"/> and turns provider failures into a
    /// <see cref="StoreException"/> naming <paramref name="operation"/> and this store.
    /// </summary>
    public async Task<T> RunAsync<T>(string operation, Func<DbConnection, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
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
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    // Database, file-system and decoding failures are the store's to report; a bug (null reference,
    // invalid argument) or cancellation passes through unchanged.
    private static bool IsStoreFailure(Exception ex) =>
        ex is DbException or IOException or UnauthorizedAccessException or TimeoutException or JsonException or FormatException;
}
