using BlueTeam.Core.Config;

namespace BlueTeam.Storage;

/// <summary>Builds the store the config asks for. The caller runs <see cref="IBlueTeamStore.MigrateAsync"/> before use.</summary>
public static class StoreFactory
{
    public static IBlueTeamStore Create(DatabaseOptions options) => Create(options, TimeProvider.System);

    public static IBlueTeamStore Create(DatabaseOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        return options.Driver switch
        {
            DatabaseDriver.Sqlite => new SqliteStore(options.ResolveSqlitePath(), timeProvider),
            DatabaseDriver.Postgres => string.IsNullOrWhiteSpace(options.ConnectionString)
                ? throw new ArgumentException("database.connection_string is required when database.driver is postgres", nameof(options))
                : PostgresStore.Create(options.ConnectionString, timeProvider),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Driver, "unknown database driver"),
        };
    }
}
