using System.Data;

namespace BlueTeam.Storage.Ado;

// The statements of one write transaction, run through commands that are prepared once and reused,
// and the rows nothing reads back (chain entries, delivery rows) written together at the end by the
// dialect's batch writer: what lets a batch of saves cost a fraction of the same saves one by one.

/// <summary>A statement's text and parameter values, built before it is known how (and with what) it runs.</summary>
internal sealed class Statement(string sql)
{
    public string Sql { get; } = sql;

    public List<Argument> Arguments { get; } = [];

    public Statement Text(string name, string? value) => With(name, DbType.String, value);

    public Statement Int64(string name, long? value) => With(name, DbType.Int64, value);

    public Statement Timestamp(SqlDialect dialect, string name, DateTimeOffset? value)
    {
        var (type, sent) = dialect.Timestamp(value);
        return With(name, type, sent);
    }

    /// <summary>A value whose type the provider infers (a provider-specific boolean, an int).</summary>
    public Statement Value(string name, object value) => With(name, null, value);

    public Statement With(string name, DbType? type, object? value)
    {
        Arguments.Add(new Argument(name, type, value ?? DBNull.Value));
        return this;
    }
}

internal readonly record struct Argument(string Name, DbType? Type, object Value)
{
    public void Bind(DbParameter parameter)
    {
        parameter.ParameterName = Name;
        if (Type is { } type) parameter.DbType = type;
        parameter.Value = Value;
    }
}

/// <summary>
/// Runs the statements of one write transaction. Each distinct statement text gets one command,
/// prepared at its second use and reused (parameters and all) for every later one. Chain entries
/// and delivery rows, which nothing in the transaction reads back, are collected and written by
/// <see cref="Rows"/> at <see cref="FlushAsync"/>.
/// </summary>
internal sealed class TransactionStatements(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
{
    private AlertBatchWriter? _rows;

    public TransactionStatements(DbConnection connection, DbTransaction transaction, AlertBatchWriter rows)
        : this(connection, transaction)
    {
        _rows = rows;
    }

    private readonly Dictionary<string, ReusedCommand> _commands = new(StringComparer.Ordinal);
    private readonly List<ChainEntry> _chain = [];
    private readonly List<DeliveryRow> _deliveries = [];

    public DbConnection Connection => connection;

    public DbTransaction Transaction => transaction;

    /// <summary>The dialect's writer of rows many at a time.</summary>
    public AlertBatchWriter Rows => _rows ?? throw new InvalidOperationException("these statements have no batch writer (made without StoreDatabase.Statements)");

    /// <summary>Takes <paramref name="database"/>'s batch writer when made without one (a chain appender needs it to flush).</summary>
    public void UseRowsOf(StoreDatabase database) => _rows ??= database.BatchWriter(connection, transaction);

    public async Task<DbDataReader> ReadAsync(Statement statement, CancellationToken ct)
    {
        var command = await CommandAsync(statement, ct).ConfigureAwait(false);
        return await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
    }

    public async Task<int> ExecuteAsync(Statement statement, CancellationToken ct)
    {
        var command = await CommandAsync(statement, ct).ConfigureAwait(false);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="entry"/> at the next <see cref="FlushAsync"/>, after the entries added before it.</summary>
    public void Add(ChainEntry entry) => _chain.Add(entry);

    /// <summary>Writes <paramref name="delivery"/> at the next <see cref="FlushAsync"/>, after the rows added before it.</summary>
    public void Add(DeliveryRow delivery) => _deliveries.Add(delivery);

    /// <summary>Writes the delivery rows, then the chain entries (and creation links), each in the order added.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        if (_deliveries.Count == 0 && _chain.Count == 0) return;
        await Rows.WriteDeliveriesAsync(_deliveries, ct).ConfigureAwait(false);
        await Rows.WriteChainAsync(_chain, ct).ConfigureAwait(false);
        _deliveries.Clear();
        _chain.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var reused in _commands.Values) await reused.Command.DisposeAsync().ConfigureAwait(false);
        _commands.Clear();
        if (_rows is not null) await _rows.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<DbCommand> CommandAsync(Statement statement, CancellationToken ct)
    {
        if (!_commands.TryGetValue(statement.Sql, out var reused))
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statement.Sql;
            foreach (var argument in statement.Arguments)
            {
                var parameter = command.CreateParameter();
                argument.Bind(parameter);
                command.Parameters.Add(parameter);
            }
            _commands[statement.Sql] = new ReusedCommand(command);
            return command;
        }

        var parameters = reused.Command.Parameters;
        if (parameters.Count != statement.Arguments.Count)
            throw new InvalidOperationException($"the statement was built with {statement.Arguments.Count} parameters, its command has {parameters.Count}");
        for (var i = 0; i < parameters.Count; i++) statement.Arguments[i].Bind(parameters[i]);
        // Prepared only once it is used again: a statement run once per transaction (the chain
        // head, the last, shorter rows statement) would pay the extra round trip for nothing.
        if (!reused.Prepared)
        {
            await reused.Command.PrepareAsync(ct).ConfigureAwait(false);
            reused.Prepared = true;
        }
        return reused.Command;
    }
}

internal sealed class ReusedCommand(DbCommand command)
{
    public DbCommand Command { get; } = command;

    public bool Prepared { get; set; }
}
