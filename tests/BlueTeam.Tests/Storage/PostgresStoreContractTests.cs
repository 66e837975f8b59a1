using BlueTeam.Core.Config;
using BlueTeam.Storage;
using Npgsql;

namespace BlueTeam.Tests.Storage;

/// <summary>
/// The store contract against a real PostgreSQL: each test gets its own database (random name,
/// dropped afterwards) on the server named by <c>BLUETEAM_TEST_PG</c>.
/// </summary>
/// <remarks>
/// Without that variable these tests fail rather than skip: a green run must mean the PostgreSQL
/// backend was actually exercised.
/// </remarks>
public sealed class PostgresStoreContractTests : StoreContractTests
{
    public const string ConnectionVariable = "BLUETEAM_TEST_PG";

    private readonly string _database = "blueteam_test_" + Guid.NewGuid().ToString("N");
    private string? _serverConnectionString;
    private string? _testConnectionString;

    private string TestConnectionString => _testConnectionString ?? throw new InvalidOperationException("the test database was not created");

    internal static string ServerConnectionString() =>
        Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{ConnectionVariable} is not set, so the PostgreSQL store tests cannot run. Run the tests with the test command " +
                "in README.md: it starts a throwaway PostgreSQL on 127.0.0.1 (scripts/start-postgres.sh DIR PORT) and sets " +
                $"{ConnectionVariable} to the connection string that script prints.");

    protected override async Task<IBlueTeamStore> CreateStoreAsync(TimeProvider timeProvider)
    {
        _serverConnectionString = ServerConnectionString();
        await using (var admin = new NpgsqlConnection(_serverConnectionString))
        {
            await admin.OpenAsync();
            await using var create = admin.CreateCommand();
            // Identifiers cannot be parameters; the name is ours (a prefix and a GUID's hex digits).
            create.CommandText = $"CREATE DATABASE \"{_database}\"";
            await create.ExecuteNonQueryAsync();
        }
        _testConnectionString = new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = _database }.ToString();
        return PostgresStore.Create(_testConnectionString, timeProvider);
    }

    protected override IBlueTeamStore OpenSameDatabase(TimeProvider timeProvider) => PostgresStore.Create(TestConnectionString, timeProvider);

    protected override async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    protected override string Table(string name) => "blueteam." + name;

    protected override Task EmptyAlertTablesAsync() =>
        ExecuteSqlAsync("TRUNCATE blueteam.alert_chain, blueteam.alert_deliveries, blueteam.alert_history RESTART IDENTITY CASCADE");

    protected override Task RejectDeliveriesToChannelNamedRejectedAsync() => ExecuteSqlAsync("""
        CREATE FUNCTION blueteam.reject_channel() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.channel = 'rejected' THEN RAISE EXCEPTION 'the test refuses deliveries to channel rejected'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER reject_channel BEFORE INSERT ON blueteam.alert_deliveries
            FOR EACH ROW EXECUTE FUNCTION blueteam.reject_channel();
        """);

    // A database that refuses connections, with the store's open ones cut: what a restarting or
    // unreachable server looks like to the client.
    protected override async Task BreakStoreAsync()
    {
        await using var admin = new NpgsqlConnection(_serverConnectionString);
        await admin.OpenAsync();
        await using (var refuse = admin.CreateCommand())
        {
            refuse.CommandText = $"ALTER DATABASE \"{_database}\" WITH ALLOW_CONNECTIONS false";
            await refuse.ExecuteNonQueryAsync();
        }
        await using var terminate = admin.CreateCommand();
        terminate.CommandText = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid()";
        terminate.Parameters.AddWithValue("database", _database);
        await terminate.ExecuteNonQueryAsync();
    }

    protected override async Task RestoreStoreAsync()
    {
        await using var admin = new NpgsqlConnection(_serverConnectionString);
        await admin.OpenAsync();
        await using var allow = admin.CreateCommand();
        allow.CommandText = $"ALTER DATABASE \"{_database}\" WITH ALLOW_CONNECTIONS true";
        await allow.ExecuteNonQueryAsync();
    }

    protected override async Task DropDatabaseAsync()
    {
        if (_testConnectionString is null || _serverConnectionString is null) return;
        await using var admin = new NpgsqlConnection(_serverConnectionString);
        await admin.OpenAsync();
        await using var drop = admin.CreateCommand();
        drop.CommandText = $"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)";
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_CreatesEverythingInTheBlueteamSchema()
    {
        await Store.MigrateAsync(CancellationToken.None);

        await using var connection = new NpgsqlConnection(TestConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tables.Add(reader.GetString(0));

        Assert.Equal(["blueteam.alert_chain", "blueteam.alert_deliveries", "blueteam.alert_history", "blueteam.bans", "blueteam.chain_prunes", "blueteam.checkpoints",
            "blueteam.first_seen", "blueteam.fleet_cursor", "blueteam.fleet_hosts", "blueteam.fleet_incidents", "blueteam.fleet_signals", "blueteam.heartbeats",
            "blueteam.host_silence_claims", "blueteam.schema_migrations", "blueteam.seals", "blueteam.silences"], tables);
    }

    [Fact]
    public void Description_IsHostPortAndDatabaseOnly()
    {
        var server = new NpgsqlConnectionStringBuilder(TestConnectionString);

        Assert.Equal($"postgresql://{server.Host}:{server.Port}/{_database}", Store.Description);
    }

    [Fact]
    public async Task MigrateAsync_ServerUnreachable_ThrowsStoreExceptionWithoutThePassword()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        await using var store = StoreFactory.Create(new DatabaseOptions
        {
            Driver = DatabaseDriver.Postgres,
            ConnectionString = "Host=127.0.0.1;Port=1;Username=blueteam;Password=s3cret-Pa55;Database=fleet;Timeout=3",
        });

        var ex = await Assert.ThrowsAsync<StoreException>(() => store.MigrateAsync(CancellationToken.None));

        Assert.Equal("postgresql://127.0.0.1:1/fleet", store.Description);
        Assert.Contains("migrate failed on postgresql://127.0.0.1:1/fleet", ex.Message);
        Assert.DoesNotContain("s3cret-Pa55", ex.ToString());
    }
}
