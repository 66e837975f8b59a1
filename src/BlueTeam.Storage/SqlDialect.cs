using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace BlueTeam.Storage;

/// <summary>
/// What differs between SQLite and PostgreSQL for the statements <see cref="AdoStore"/> runs:
/// where the tables live, how a timestamp is written and read, how writers take turns.
/// Everything else (the SQL itself) is shared.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>Prefix for table names: the schema on PostgreSQL, nothing on SQLite.</summary>
    public abstract string TablePrefix { get; }

    /// <summary>Creates the migration bookkeeping table if it is missing; safe to run every time.</summary>
    public abstract string BootstrapSql { get; }

    /// <summary>
    /// Run first in every migration transaction so that two processes migrating at once take
    /// turns; null when the write transaction itself already excludes other writers.
    /// </summary>
    public abstract string? MigrationLockSql { get; }

    /// <summary>Appended to a SELECT inside a write transaction so that the rows read stay ours until commit.</summary>
    public abstract string LockRowsClause { get; }

    /// <summary>
    /// Run in a write transaction before reading a host's chain head, with the parameter
    /// <c>@lock_key</c>, so that two writers for one host cannot both append entry n+1; null when
    /// the write transaction already excludes other writers.
    /// </summary>
    public abstract string? ChainLockSql { get; }

    /// <summary>The writer of a batch's new alerts, chain entries and delivery rows, for one write transaction.</summary>
    public abstract AlertBatchWriter BatchWriter(DbConnection connection, DbTransaction transaction, AlertTables tables);

    public abstract string MigrationSql(StoreMigration migration);

    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>How <paramref name="value"/> is sent: the parameter's type and value (DBNull for null).</summary>
    public abstract (DbType Type, object Value) Timestamp(DateTimeOffset? value);

    public void SetTimestamp(DbParameter parameter, DateTimeOffset? value)
    {
        (parameter.DbType, parameter.Value) = Timestamp(value);
    }

    public abstract DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal);

    public abstract object Boolean(bool value);
}

internal sealed class SqliteDialect : SqlDialect
{
    // Fixed width, always UTC, seven fractional digits: text comparison then orders the same as
    // time, which the due-delivery and "since" queries rely on.
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static readonly SqliteDialect Instance = new();

    public override string TablePrefix => "";

    public override string BootstrapSql => """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at  TEXT NOT NULL
        );
        """;

    // BEGIN IMMEDIATE takes the database's single write lock, so a second migrator waits (busy
    // timeout) and then finds the version already recorded.
    public override string? MigrationLockSql => null;

    public override string LockRowsClause => "";

    public override string? ChainLockSql => null;

    public override AlertBatchWriter BatchWriter(DbConnection connection, DbTransaction transaction, AlertTables tables) =>
        new SqliteAlertBatchWriter((SqliteConnection)connection, (SqliteTransaction)transaction, tables);

    public override string MigrationSql(StoreMigration migration) => migration.Sqlite;

    public override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // IMMEDIATE, not deferred: a deferred transaction that reads and then writes can fail with
        // SQLITE_BUSY at the upgrade, which the busy timeout does not retry.
        DbTransaction transaction = ((SqliteConnection)connection).BeginTransaction(deferred: false);
        return Task.FromResult(transaction);
    }

    public override (DbType Type, object Value) Timestamp(DateTimeOffset? value) =>
        (DbType.String, value is { } v ? v.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture) : DBNull.Value);

    public override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        DateTimeOffset.ParseExact(reader.GetString(ordinal), TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public override object Boolean(bool value) => value ? 1L : 0L;
}

internal sealed class PostgresDialect : SqlDialect
{
    // Any constant shared by every blueteam process; it names "the blueteam migration lock".
    private const long MigrationLockKey = 0x626c75657465616d; // "blueteam" in ASCII

    public static readonly PostgresDialect Instance = new();

    public override string TablePrefix => "blueteam.";

    public override string BootstrapSql => """
        CREATE SCHEMA IF NOT EXISTS blueteam;
        CREATE TABLE IF NOT EXISTS blueteam.schema_migrations (
            version     integer PRIMARY KEY,
            description text NOT NULL,
            applied_at  timestamptz NOT NULL
        );
        """;

    // A transaction-scoped advisory lock: released by commit or rollback, even if the process dies,
    // so no unlock can be forgotten. CREATE ... IF NOT EXISTS alone is not race-safe on PostgreSQL.
    public override string? MigrationLockSql => $"SELECT pg_advisory_xact_lock({MigrationLockKey})";

    public override string LockRowsClause => " FOR UPDATE";

    // Per host, not global: hosts of a fleet append to their own chains in parallel. Transaction
    // scoped like the migration lock, so it ends with the commit that publishes the entry.
    public override string? ChainLockSql => "SELECT pg_advisory_xact_lock(@lock_key)";

    public override AlertBatchWriter BatchWriter(DbConnection connection, DbTransaction transaction, AlertTables tables) =>
        new PostgresAlertBatchWriter((Npgsql.NpgsqlConnection)connection, (Npgsql.NpgsqlTransaction)transaction, tables);

    public override string MigrationSql(StoreMigration migration) => migration.Postgres;

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    // Npgsql writes timestamptz only from offset-zero values.
    public override (DbType Type, object Value) Timestamp(DateTimeOffset? value) =>
        (DbType.DateTimeOffset, value is { } v ? v.ToUniversalTime() : DBNull.Value);

    public override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        reader.GetFieldValue<DateTimeOffset>(ordinal);

    public override object Boolean(bool value) => value;
}
