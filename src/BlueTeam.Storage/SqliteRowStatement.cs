using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace BlueTeam.Storage;

/// <summary>
/// One single-row write statement of SQLite's batch writer, compiled once per transaction and bound by index for every row.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite looks each parameter up by its name (converted to UTF-8) on every execution, for the 50 or so
/// values of a new alert, its chain entry and its delivery rows; bound by index, the daemon-store benchmark's CPU per
/// incident fell by about 8 %.
/// Here the names are looked up once; the values are bound with the same sqlite3_bind_* calls the provider makes, so a
/// value is stored exactly as through a command. It runs on the connection of the write transaction, inside it.
/// </remarks>
internal sealed class SqliteRowStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly int[] _index;

    /// <param name="parameters">How many parameters the text names, as $1..$n (a number may stand more than once).</param>
    public SqliteRowStatement(SqliteConnection connection, string sql, int parameters)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
        _index = new int[parameters + 1];
        for (var n = 1; n <= parameters; n++)
        {
            _index[n] = raw.sqlite3_bind_parameter_index(_statement, "$" + n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (_index[n] == 0) throw new ArgumentException($"the statement has no parameter ${n}", nameof(sql));
        }
    }

    public void Text(int parameter, string? value)
    {
        var rc = value is null ? raw.sqlite3_bind_null(_statement, _index[parameter]) : raw.sqlite3_bind_text(_statement, _index[parameter], value);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Int64(int parameter, long? value)
    {
        var rc = value is { } v ? raw.sqlite3_bind_int64(_statement, _index[parameter], v) : raw.sqlite3_bind_null(_statement, _index[parameter]);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>Runs the statement with the values bound; returns the rows it changed.</summary>
    public int Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        // Reset whatever the outcome, so the statement runs again and holds no lock; the step's error is the one reported.
        raw.sqlite3_reset(_statement);
        if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc == raw.SQLITE_ROW ? raw.SQLITE_MISUSE : rc, _db);
        return raw.sqlite3_changes(_db);
    }

    public void Dispose() => _statement.Dispose();
}
