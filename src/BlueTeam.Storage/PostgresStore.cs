using Npgsql;

namespace BlueTeam.Storage;

/// <summary>
/// The fleet store: every host's daemon writes to one PostgreSQL database, all tables in the
/// <c>blueteam</c> schema, incidents deduplicated by fingerprint across hosts.
/// </summary>
public sealed class PostgresStore : AdoStore
{
    /// <summary>Uses <paramref name="dataSource"/> (and disposes it with the store).</summary>
    public PostgresStore(NpgsqlDataSource dataSource, TimeProvider? timeProvider = null)
        : base(dataSource, PostgresDialect.Instance, timeProvider ?? TimeProvider.System, Describe(dataSource.ConnectionString))
    {
    }

    /// <summary>Builds a data source from an Npgsql connection string.</summary>
    public static PostgresStore Create(string connectionString, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new PostgresStore(NpgsqlDataSource.Create(connectionString), timeProvider);
    }

    /// <summary>postgresql://host:port/database: where the data is, without user or password.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
    }
}
