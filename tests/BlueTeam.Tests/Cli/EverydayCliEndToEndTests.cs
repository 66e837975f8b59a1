using System.Text.Json;
using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using BlueTeam.Tests.Storage;
using BlueTeam.Tests.Support;
using Npgsql;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// The everyday commands (status, alerts show/ack, incidents, silence, report) run as the built
/// `blueteam` process over a store the test seeds through the store API. The facts run unchanged
/// against SQLite and PostgreSQL; each test gets a fresh database.
/// </summary>
public abstract partial class EverydayCliEndToEndTests : IAsyncLifetime
{
    protected const string ThisHost = "bt-e2e-web01";
    protected const string OtherHost = "bt-e2e-db01";

    private IBlueTeamStore? _store;

    private protected TempDir Dir { get; } = new();

    protected IBlueTeamStore Store => _store ?? throw new InvalidOperationException("the store was not created");

    /// <summary>A fresh, empty database and a store over it.</summary>
    protected abstract Task<IBlueTeamStore> CreateStoreAsync();

    /// <summary>The <c>database:</c> block of a config pointing at that database.</summary>
    protected abstract string DatabaseYaml { get; }

    protected abstract Task DropDatabaseAsync();

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.MigrateAsync(CancellationToken.None);
        await File.WriteAllTextAsync(ConfigPath, $"host: {ThisHost}\nmonitoring: {{poll_interval_sec: 5}}\n{DatabaseYaml}\n");
    }

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        await DropDatabaseAsync();
        Dir.Dispose();
    }

    protected string ConfigPath => Dir.File("blueteam.yaml");

    protected Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        BlueTeamProcess.RunAsync(["--config", ConfigPath, .. args]);

    protected static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement.Clone();

    protected async Task<long> SaveAsync(SecurityIncident incident, string host = ThisHost, params string[] channels) =>
        (await Store.SaveAlertAsync(incident, host, channels, CancellationToken.None)).AlertId;

    /// <summary>An incident last seen <paramref name="ago"/> before now (the binary filters by the wall clock).</summary>
    protected static SecurityIncident Recent(string fingerprint, TimeSpan ago, Severity severity = Severity.High, string ruleName = "ssh_brute_force",
        string title = "SSH brute force from 203.0.113.7", string? sourceIp = "203.0.113.7", string? userName = "root", string host = ThisHost)
    {
        var last = new DateTimeOffset(DateTime.UtcNow.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero) - ago;
        return StoreTestData.Incident(fingerprint, severity, ruleName, host, firstSeen: last.AddSeconds(-30), lastSeen: last, title: title, sourceIp: sourceIp, userName: userName);
    }

    protected static string Why((int ExitCode, string Stdout, string Stderr) r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";
}

public sealed class EverydayCliSqliteEndToEndTests : EverydayCliEndToEndTests
{
    private string DatabasePath => Dir.File("state/blueteam.db");

    protected override Task<IBlueTeamStore> CreateStoreAsync() => Task.FromResult<IBlueTeamStore>(new SqliteStore(DatabasePath));

    protected override string DatabaseYaml => $"database: {{driver: sqlite, path: {DatabasePath}}}";

    protected override Task DropDatabaseAsync() => Task.CompletedTask;
}

/// <summary>Against the PostgreSQL named by BLUETEAM_TEST_PG (fails, not skips, without it).</summary>
public sealed class EverydayCliPostgresEndToEndTests : EverydayCliEndToEndTests
{
    private readonly string _database = "blueteam_cli_" + Guid.NewGuid().ToString("N");
    private string? _server;
    private string? _connection;

    protected override async Task<IBlueTeamStore> CreateStoreAsync()
    {
        _server = PostgresStoreContractTests.ServerConnectionString();
        await using (var admin = new NpgsqlConnection(_server))
        {
            await admin.OpenAsync();
            await using var create = admin.CreateCommand();
            // Identifiers cannot be parameters; the name is ours (a prefix and a GUID's hex digits).
            create.CommandText = $"CREATE DATABASE \"{_database}\"";
            await create.ExecuteNonQueryAsync();
        }
        _connection = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ToString();
        return PostgresStore.Create(_connection);
    }

    protected override string DatabaseYaml => $"database: {{driver: postgres, connection_string: \"{_connection}\"}}";

    protected override async Task DropDatabaseAsync()
    {
        if (_server is null || _connection is null) return;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = admin.CreateCommand();
        drop.CommandText = $"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)";
        await drop.ExecuteNonQueryAsync();
    }
}
