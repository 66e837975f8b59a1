using System.Data;
using System.Data.Common;
using System.Text;
using System.Text.RegularExpressions;

namespace BlueTeam.Storage;

// The statements of one write transaction, run through commands that are prepared once and reused,
// and rows written many to a statement: what lets a batch of saves cost a fraction of the same
// saves one by one.
public abstract partial class AdoStore
{
    /// <summary>A statement's text and parameter values, built before it is known how (and with what) it runs.</summary>
    private sealed class Statement(string sql)
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

    private readonly record struct Argument(string Name, DbType? Type, object Value)
    {
        public void Bind(DbParameter parameter)
        {
            parameter.ParameterName = Name;
            if (Type is { } type) parameter.DbType = type;
            parameter.Value = Value;
        }
    }

    /// <summary>
    /// A statement over many rows: <c>head</c>, then one <c>(…)</c> per row, then <c>tail</c>. Each
    /// row is a <see cref="Statement"/> whose text is the row's template, e.g.
    /// <c>(@alert_id, @channel)</c>; row i's parameters are renamed <c>@alert_id_i</c>.
    /// </summary>
    /// <remarks>
    /// One statement instead of one per row: PostgreSQL plans and executes once per statement, and
    /// the client waits once per round trip. How many rows go to a statement is the dialect's
    /// <see cref="SqlDialect.RowsPerStatement"/>.
    /// </remarks>
    private sealed partial class RowsStatement(string head, string tail, int rowsPerStatement)
    {
        // Built once per row count and reused by every batch: the text of n rows, and row i's
        // parameter names. Guarded by the lock: one store serves the pipeline, the outbox and the CLI.
        private readonly Dictionary<int, string> _sqlByRowCount = [];
        private readonly List<string[]> _namesByRow = [];
        private readonly Lock _lock = new();

        /// <summary>The statements that write <paramref name="rows"/>, in order, each with the range of rows it writes.</summary>
        /// <param name="rows">Rows built from one template, with their arguments in one order.</param>
        public IEnumerable<(Statement Statement, int FirstRow, int RowCount)> For(IReadOnlyList<Statement> rows)
        {
            for (var first = 0; first < rows.Count; first += rowsPerStatement)
            {
                var count = Math.Min(rowsPerStatement, rows.Count - first);
                var statement = new Statement(Sql(rows[first], count));
                for (var i = 0; i < count; i++)
                {
                    var row = rows[first + i];
                    var names = Names(row, i);
                    for (var j = 0; j < row.Arguments.Count; j++) statement.Arguments.Add(row.Arguments[j] with { Name = names[j] });
                }
                yield return (statement, first, count);
            }
        }

        private string Sql(Statement template, int count)
        {
            lock (_lock)
            {
                if (_sqlByRowCount.TryGetValue(count, out var known)) return known;
                var sql = new StringBuilder(head).Append('\n');
                for (var i = 0; i < count; i++)
                {
                    if (i > 0) sql.Append(",\n");
                    sql.Append(ParameterName().Replace(template.Sql, m => m.Value + Suffix(i)));
                }
                sql.Append('\n').Append(tail);
                return _sqlByRowCount[count] = sql.ToString();
            }
        }

        private string[] Names(Statement row, int index)
        {
            lock (_lock)
            {
                while (_namesByRow.Count <= index)
                {
                    var suffix = Suffix(_namesByRow.Count);
                    _namesByRow.Add(row.Arguments.Select(a => a.Name + suffix).ToArray());
                }
                return _namesByRow[index];
            }
        }

        private static string Suffix(int row) => "_" + row.ToString(System.Globalization.CultureInfo.InvariantCulture);

        [GeneratedRegex(@"@\w+")]
        private static partial Regex ParameterName();
    }

    /// <summary>
    /// Runs the statements of one write transaction. Each distinct statement text gets one command,
    /// prepared at its second use and reused (parameters and all) for every later one. Rows whose
    /// writes nobody reads back can be deferred to <see cref="FlushAsync"/>, to go many to a statement.
    /// </summary>
    private sealed class TransactionStatements(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
    {
        private readonly Dictionary<string, ReusedCommand> _commands = new(StringComparer.Ordinal);
        private readonly List<(RowsStatement Statement, List<Statement> Rows)> _deferred = [];

        public DbConnection Connection => connection;

        public DbTransaction Transaction => transaction;

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

        /// <summary>Writes <paramref name="row"/> through <paramref name="rows"/> at the next <see cref="FlushAsync"/>, after the rows deferred to it before.</summary>
        public void Defer(RowsStatement rows, Statement row)
        {
            foreach (var (statement, list) in _deferred)
            {
                if (!ReferenceEquals(statement, rows)) continue;
                list.Add(row);
                return;
            }
            _deferred.Add((rows, [row]));
        }

        /// <summary>Writes the deferred rows: each statement's in the order they were deferred, the statements in the order first used.</summary>
        public async Task FlushAsync(CancellationToken ct)
        {
            foreach (var (rows, list) in _deferred)
                foreach (var (statement, _, _) in rows.For(list))
                    await ExecuteAsync(statement, ct).ConfigureAwait(false);
            _deferred.Clear();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var reused in _commands.Values) await reused.Command.DisposeAsync().ConfigureAwait(false);
            _commands.Clear();
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

    private sealed class ReusedCommand(DbCommand command)
    {
        public DbCommand Command { get; } = command;

        public bool Prepared { get; set; }
    }
}
