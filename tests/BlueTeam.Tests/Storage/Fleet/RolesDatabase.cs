using BlueTeam.Storage;
using BlueTeam.Storage.Fleet;
using Npgsql;

namespace BlueTeam.Tests.Storage.Fleet;

/// <summary>
/// A fresh database on the test server, migrated by its owner (the server's test superuser), with
/// fleet roles created by the real <see cref="FleetRoleAdmin"/>. Roles belong to the whole server
/// and tests run in parallel, so every name carries a random suffix; the roles are dropped and
/// the database removed at the end.
/// </summary>
internal sealed class RolesDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly List<(FleetRoleKind Kind, FleetMemberName Name)> _members = [];
    private readonly NpgsqlDataSource _ownerSource;

    private RolesDatabase(string server, string database)
    {
        _server = server;
        Database = database;
        OwnerConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = database }.ToString();
        _ownerSource = NpgsqlDataSource.Create(OwnerConnectionString);
        Admin = new FleetRoleAdmin(_ownerSource, TimeProvider.System);
    }

    public string Database { get; }

    public string OwnerConnectionString { get; }

    public FleetRoleAdmin Admin { get; }

    /// <summary>A name no other test uses: roles are shared by every database of the server.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <param name="migrate">False leaves the database empty, as before an administrator's first `blueteam` command.</param>
    public static async Task<RolesDatabase> CreateAsync(bool migrate = true)
    {
        var server = PostgresStoreContractTests.ServerConnectionString();
        var database = "blueteam_roles_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = admin.CreateCommand();
            create.CommandText = $"CREATE DATABASE \"{database}\""; // our own name: a prefix and hex digits
            await create.ExecuteNonQueryAsync();
        }
        var db = new RolesDatabase(server, database);
        if (!migrate) return db;
        await using var owner = db.OwnerStore();
        await owner.MigrateAsync(CancellationToken.None);
        return db;
    }

    /// <summary>The store as the owner opens it: what single-host setups, `db migrate` and `verify` by the administrator use.</summary>
    public PostgresStore OwnerStore(TimeProvider? time = null) => PostgresStore.Create(OwnerConnectionString, time);

    /// <summary>Creates a role through the code `fleet add-host` / `fleet add-operator` runs.</summary>
    public async Task<FleetCredentials> AddAsync(FleetRoleKind kind, string name)
    {
        Assert.True(FleetMemberName.TryParse(name, out var parsed));
        var credentials = await Admin.AddAsync(kind, parsed, withPassword: true, CancellationToken.None);
        _members.Add((kind, parsed));
        return credentials;
    }

    /// <summary>Drops <paramref name="name"/>'s role at the end if it is still there (created by the binary under test).</summary>
    public void RemoveAtEnd(FleetRoleKind kind, string name)
    {
        Assert.True(FleetMemberName.TryParse(name, out var parsed));
        _members.Add((kind, parsed));
    }

    public static PostgresStore StoreAs(FleetCredentials credentials, TimeProvider? time = null) => PostgresStore.Create(credentials.ConnectionString, time);

    /// <summary>Runs <paramref name="sql"/> as <paramref name="credentials"/>' role; the server's error if it refuses.</summary>
    public static async Task<PostgresException?> TryExecuteAsAsync(FleetCredentials credentials, string sql)
    {
        await using var connection = new NpgsqlConnection(credentials.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            await command.ExecuteNonQueryAsync();
            return null;
        }
        catch (PostgresException e)
        {
            return e;
        }
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        foreach (var (kind, name) in _members) await Admin.RemoveAsync(kind, name, CancellationToken.None);
        await _ownerSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = admin.CreateCommand();
        drop.CommandText = $"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)";
        await drop.ExecuteNonQueryAsync();
    }
}
