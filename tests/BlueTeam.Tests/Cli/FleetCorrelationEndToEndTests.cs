using System.Diagnostics;
using System.Text.Json;
using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage.Fleet;
using BlueTeam.Tests.Storage.Fleet;
using BlueTeam.Tests.Support;
using Npgsql;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// Fleet correlation with real daemons on one real PostgreSQL: the elected daemon raises a spray seen across
/// hosts once, and when it is killed another takes over, loses no signal and raises nothing twice. Hosts beyond
/// the real daemons are simulated publishers writing signals through the real store code.
/// </summary>
public class FleetCorrelationEndToEndTests : IAsyncLifetime
{
    private const int SIGSTOP = 19;
    private const string Elected = "Fleet correlator elected";
    private readonly TempDir _dir = new();
    private SignalsTestDatabase _db = null!;
    private SignalsStore _signals = null!;

    public async Task InitializeAsync()
    {
        _db = await SignalsTestDatabase.CreateAsync();
        _signals = new SignalsStore(_db.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _signals.DisposeAsync();
        await _db.DisposeAsync();
        _dir.Dispose();
    }

    private string Config(string host)
    {
        var log = _dir.File($"{host}.log");
        File.WriteAllText(log, "");
        var path = _dir.File($"{host}.yaml");
        File.WriteAllText(path, $$"""
            host: {{host}}
            database: {driver: postgres, connection_string: "{{_db.ConnectionString}}"}
            monitoring: {poll_interval_sec: 1, host_silent_sec: 0}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            alerting:
              syslog: {enabled: false}
            fleet: {enabled: true, election_retry_sec: 2}
            """);
        return path;
    }

    private static bool Says(BlueTeamProcess daemon, string text) =>
        daemon.Stdout.Contains(text, StringComparison.Ordinal) || daemon.Stderr.Contains(text, StringComparison.Ordinal);

    private static DateTimeOffset Minute(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    /// <summary>Simulated hosts, each publishing its own 3 failures from <paramref name="source"/> as its daemon would.</summary>
    private async Task PublishAsync(IEnumerable<string> hosts, string source)
    {
        var bucket = Minute(DateTimeOffset.UtcNow);
        foreach (var host in hosts)
            await _signals.PublishAsync([new FleetSignal(0, host, bucket, source, "root", 3)], CancellationToken.None);
    }

    /// <summary>The stored fleet_ssh_spray alerts from <paramref name="source"/>: (host, event_count).</summary>
    private async Task<List<(string Host, int Events)>> SpraysAsync(string source)
    {
        await using var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT host, event_count FROM blueteam.alert_history WHERE rule_name = 'fleet_ssh_spray' AND source_ip = @source ORDER BY id", connection);
        command.Parameters.AddWithValue("source", source);
        var result = new List<(string, int)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result.Add((reader.GetString(0), reader.GetInt32(1)));
        return result;
    }

    private async Task<List<(string Host, int Events)>> WaitForSprayAsync(string source, int events, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        List<(string Host, int Events)> sprays = [];
        while (deadline.Elapsed < timeout)
        {
            sprays = await SpraysAsync(source);
            if (sprays.Count > 0 && sprays.Max(s => s.Events) >= events) break;
            await Task.Delay(100);
        }
        return sprays;
    }

    [Fact]
    public async Task Spray_ThreeAttemptsOnEachOfTwentyHosts_OneFleetIncidentWithinTenSeconds()
    {
        var config = Config("fleet-real");
        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync(Elected, TimeSpan.FromSeconds(60));

        await PublishAsync(Enumerable.Range(1, 19).Select(i => $"fleet-sim{i:00}"), "203.0.113.7");
        // The twentieth host is the real daemon's own: three failed logins in its auth log, the spray's last attempts.
        var attack = AuthLogLines.FailedPasswords("203.0.113.7", 3, DateTime.Now, TimeSpan.FromMilliseconds(10)).ToList();
        await File.AppendAllLinesAsync(_dir.File("fleet-real.log"), attack);
        var sinceLastAttempt = Stopwatch.StartNew();

        var sprays = await WaitForSprayAsync("203.0.113.7", 60, TimeSpan.FromSeconds(10));
        Assert.True(sinceLastAttempt.Elapsed < TimeSpan.FromSeconds(10), $"the fleet incident took {sinceLastAttempt.Elapsed.TotalSeconds:F1} s");
        Assert.Equal([("fleet-real", 60)], sprays); // one incident, stored under the elected daemon, all 20 hosts' failures in it

        await Task.Delay(TimeSpan.FromSeconds(3)); // the correlator keeps running: still one
        Assert.Single(await SpraysAsync("203.0.113.7"));
        var (_, json, _) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json", "--rule", "fleet_ssh_spray"]);
        var alert = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray().ToArray());
        Assert.Equal("high", alert.GetProperty("severity").GetString());
        Assert.Equal("SSH spray from 203.0.113.7 across 20 hosts", alert.GetProperty("title").GetString());

        // Its heartbeat says it leads and has published its own host's signal.
        var (_, status, _) = await BlueTeamProcess.RunAsync(["--config", config, "status", "--format", "json"]);
        Assert.Equal(1, Counter(JsonDocument.Parse(status).RootElement, "fleet_leader"));
        Assert.True(Counter(JsonDocument.Parse(status).RootElement, "fleet_signals_published") >= 1, status);

        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>The first property named <paramref name="name"/> anywhere in <paramref name="json"/>, as a number.</summary>
    private static long Counter(JsonElement json, string name)
    {
        if (json.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in json.EnumerateObject())
            {
                if (p.Name == name) return p.Value.GetInt64();
                if (Counter(p.Value, name) is var found and >= 0) return found;
            }
        }
        else if (json.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in json.EnumerateArray())
                if (Counter(e, name) is var found and >= 0) return found;
        }
        return -1;
    }

    [Fact]
    public async Task Failover_LeaderKilled_OtherTakesOverWithin30s_GapSignalsRaisedOnce_OldIncidentNotRaisedAgain()
    {
        using var a = BlueTeamProcess.Start(["--config", Config("fleet-a"), "monitor", "--no-dashboard"]);
        await a.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(60)); // migrates first
        using var b = BlueTeamProcess.Start(["--config", Config("fleet-b"), "monitor", "--no-dashboard"]);
        await b.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(60));
        var deadline = Stopwatch.StartNew();
        while (!Says(a, Elected) && !Says(b, Elected) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(100);
        var (leader, follower, leaderHost, followerHost) = Says(a, Elected) ? (a, b, "fleet-a", "fleet-b") : (b, a, "fleet-b", "fleet-a");
        Assert.True(Says(leader, Elected), "no daemon was elected within 30 s");

        // A spray the first leader raises.
        await PublishAsync(Enumerable.Range(1, 6).Select(i => $"fleet-sim{i:00}"), "203.0.113.7");
        Assert.Equal([(leaderHost, 18)], await WaitForSprayAsync("203.0.113.7", 18, TimeSpan.FromSeconds(10)));
        // ... and has marked raised (stopped before that, its successor would rightly raise it: LeaderDiedBetweenRecordingAndRaising).
        var marked = Stopwatch.StartNew();
        while (await _db.ScalarAsync("SELECT count(*) FROM blueteam.fleet_incidents WHERE raised AND group_key = '203.0.113.7'") == 0 && marked.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(50);

        // The leader stops running (it still holds the lock, so no one reads), a whole spray is published, then it dies.
        leader.Signal(SIGSTOP);
        await PublishAsync(Enumerable.Range(1, 5).Select(i => $"fleet-sim{i:00}"), "198.51.100.9");
        await PublishAsync(["fleet-sim07"], "203.0.113.7"); // the first spray goes on
        Assert.Empty(await SpraysAsync("198.51.100.9"));
        Assert.False(Says(follower, Elected)); // the stopped leader still holds the lock
        leader.Signal(BlueTeamProcess.SIGKILL);
        var sinceKill = Stopwatch.StartNew();
        await leader.WaitForExitAsync(TimeSpan.FromSeconds(10));

        await follower.WaitForOutputAsync(Elected, TimeSpan.FromSeconds(30));
        Assert.True(sinceKill.Elapsed < TimeSpan.FromSeconds(30), $"the takeover took {sinceKill.Elapsed.TotalSeconds:F1} s");
        Assert.Equal([(followerHost, 15)], await WaitForSprayAsync("198.51.100.9", 15, TimeSpan.FromSeconds(10)));

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal([(leaderHost, 18)], await SpraysAsync("203.0.113.7")); // continued in the shared state, not raised again
        Assert.Single(await SpraysAsync("198.51.100.9"));
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM blueteam.fleet_incidents WHERE group_key = '203.0.113.7' AND hosts_json LIKE '%fleet-sim07%'"));

        follower.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await follower.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task FleetEnabledOnSqlite_ConfigRefusedNamingTheKey()
    {
        var path = _dir.File("sqlite.yaml");
        File.WriteAllText(path, $$"""
            database: {driver: sqlite, path: {{_dir.File("x.db")}}}
            fleet: {enabled: true}
            """);
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", path, "config", "check"]);
        Assert.Equal(2, exit);
        Assert.Contains("fleet.enabled", stderr, StringComparison.Ordinal);
        Assert.Contains("postgres", stderr, StringComparison.Ordinal);
    }
}
