using System.Text.Json;
using BlueTeam.Tests.Storage;
using BlueTeam.Tests.Support;
using Npgsql;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// A fleet: several hosts' daemons share one real PostgreSQL. A host whose daemon dies is reported
/// as host_silent exactly once, by one of the others, and `status --all` shows it.
/// </summary>
public class FleetEndToEndTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly string _database = "blueteam_fleet_" + Guid.NewGuid().ToString("N");
    private string _server = "";
    private string _connection = "";

    public async Task InitializeAsync()
    {
        _server = PostgresStoreContractTests.ServerConnectionString();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var create = admin.CreateCommand();
        create.CommandText = $"CREATE DATABASE \"{_database}\""; // our own name: a prefix and hex digits
        await create.ExecuteNonQueryAsync();
        _connection = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(_server))
        {
            await admin.OpenAsync();
            await using var drop = admin.CreateCommand();
            drop.CommandText = $"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)";
            await drop.ExecuteNonQueryAsync();
        }
        _dir.Dispose();
    }

    private string Config(string host)
    {
        var log = _dir.File($"{host}.log");
        File.WriteAllText(log, "");
        var path = _dir.File($"{host}.yaml");
        File.WriteAllText(path, $$"""
            host: {{host}}
            database: {driver: postgres, connection_string: "{{_connection}}"}
            monitoring: {poll_interval_sec: 1, host_silent_sec: 4}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            alerting:
              syslog: {enabled: false}
            """);
        return path;
    }

    [Fact]
    public async Task TwoDaemons_ThirdHostDies_HostSilentRaisedOnceAndStatusAllShowsIt()
    {
        var a = Config("fleet-a");
        var b = Config("fleet-b");
        var c = Config("fleet-c");
        using var daemonA = BlueTeamProcess.Start(["--config", a, "monitor", "--no-dashboard"]);
        await daemonA.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30)); // migrates the shared schema first
        using var daemonB = BlueTeamProcess.Start(["--config", b, "monitor", "--no-dashboard"]);
        using (var daemonC = BlueTeamProcess.Start(["--config", c, "monitor", "--no-dashboard"]))
        {
            await daemonB.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await daemonC.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(2)); // a heartbeat or two from everyone
            daemonC.Signal(BlueTeamProcess.SIGKILL); // dies without a last word
            await daemonC.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        JsonElement[] silent = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var (_, stdout, _) = await BlueTeamProcess.RunAsync(["--config", a, "alerts", "list", "--format", "json", "--rule", "host_silent"]);
            silent = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToArray();
            if (silent.Length > 0) break;
            await Task.Delay(500);
        }
        await Task.Delay(TimeSpan.FromSeconds(3)); // both daemons keep looking: still only one
        var (_, again, _) = await BlueTeamProcess.RunAsync(["--config", a, "alerts", "list", "--format", "json", "--rule", "host_silent"]);
        silent = JsonDocument.Parse(again).RootElement.EnumerateArray().ToArray();
        var incident = Assert.Single(silent);
        Assert.Equal("Host fleet-c stopped reporting", incident.GetProperty("title").GetString());
        Assert.Contains(incident.GetProperty("host").GetString(), new[] { "fleet-a", "fleet-b" }); // raised by one of the living
        Assert.Equal("high", incident.GetProperty("severity").GetString());

        var (statusExit, status, _) = await BlueTeamProcess.RunAsync(["--config", a, "status", "--all", "--format", "json"]);
        Assert.Equal(1, statusExit); // fleet-c is stale
        Assert.Contains("fleet-a", status);
        Assert.Contains("fleet-b", status);
        Assert.Contains("fleet-c", status);

        daemonA.Signal(BlueTeamProcess.SIGTERM);
        daemonB.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemonA.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await daemonB.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task TwoDaemons_SameBruteForceAgainstBoth_EachHostStoresItsOwnIncident()
    {
        var a = Config("fleet-a");
        var b = Config("fleet-b");
        using var daemonA = BlueTeamProcess.Start(["--config", a, "monitor", "--no-dashboard"]);
        await daemonA.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        using var daemonB = BlueTeamProcess.Start(["--config", b, "monitor", "--no-dashboard"]);
        await daemonB.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));

        // The same lines (same source, same times) in both hosts' logs: the same incident, seen twice.
        var attack = AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 9, 0, 0), TimeSpan.FromSeconds(5)).ToList();
        await File.AppendAllLinesAsync(_dir.File("fleet-a.log"), attack);
        await File.AppendAllLinesAsync(_dir.File("fleet-b.log"), attack);

        JsonElement[] brute = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && brute.Length < 2)
        {
            var (_, stdout, _) = await BlueTeamProcess.RunAsync(["--config", a, "alerts", "list", "--format", "json", "--rule", "ssh_brute_force"]);
            brute = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToArray();
            await Task.Delay(300);
        }
        Assert.Equal(["fleet-a", "fleet-b"], brute.Select(x => x.GetProperty("host").GetString()).Order(StringComparer.Ordinal));
        Assert.All(brute, x => Assert.Equal(6, x.GetProperty("event_count").GetInt32()));
        // Each host's chain holds its own.
        foreach (var config in new[] { a, b })
        {
            var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "verify"]);
            Assert.True(exit == 0, stderr);
        }

        daemonA.Signal(BlueTeamProcess.SIGTERM);
        daemonB.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemonA.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await daemonB.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task FourDaemons_MigratingAnEmptyDatabaseAtOnce_OneSchemaNoError()
    {
        var daemons = new[] { "fleet-m1", "fleet-m2", "fleet-m3", "fleet-m4" }
            .Select(host => BlueTeamProcess.Start(["--config", Config(host), "monitor", "--no-dashboard"])).ToList();
        try
        {
            foreach (var d in daemons) await d.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(60));
            foreach (var d in daemons)
            {
                d.Signal(BlueTeamProcess.SIGTERM);
                Assert.Equal(0, await d.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                Assert.DoesNotContain("fail", d.Stderr, StringComparison.OrdinalIgnoreCase);
            }
        }
        finally
        {
            foreach (var d in daemons) d.Dispose();
        }

        await using var connection = new NpgsqlConnection(_connection);
        await connection.OpenAsync();
        await using var versions = connection.CreateCommand();
        versions.CommandText = "SELECT count(*), count(DISTINCT version), max(version) FROM blueteam.schema_migrations";
        await using var reader = await versions.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(reader.GetInt64(1), reader.GetInt64(0)); // each migration applied once
        Assert.Equal(BlueTeam.Storage.StoreMigrations.All.Max(m => m.Version), reader.GetInt32(2));
    }
}
