using BlueTeam.Storage;
using BlueTeam.Tests.Storage;
using Npgsql;

namespace BlueTeam.Tests.Storage.Fleet;

/// <summary>A fresh, migrated database on the test PostgreSQL server, dropped at the end.</summary>
internal sealed class SignalsTestDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;

    private SignalsTestDatabase(string server, string name, string connectionString)
    {
        _server = server;
        _name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<SignalsTestDatabase> CreateAsync()
    {
        var server = PostgresStoreContractTests.ServerConnectionString();
        var name = "blueteam_signals_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = admin.CreateCommand();
            create.CommandText = $"CREATE DATABASE \"{name}\""; // our own name: a prefix and hex digits
            await create.ExecuteNonQueryAsync();
        }
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
        await using (var store = PostgresStore.Create(connection)) await store.MigrateAsync(CancellationToken.None);
        return new SignalsTestDatabase(server, name, connection);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = admin.CreateCommand();
        drop.CommandText = $"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)";
        await drop.ExecuteNonQueryAsync();
    }
}
