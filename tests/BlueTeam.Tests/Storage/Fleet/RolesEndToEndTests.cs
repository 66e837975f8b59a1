using System.Text.Json;
using BlueTeam.Storage.Fleet;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Storage.Fleet;

/// <summary>
/// The administrator's commands and a host's daemon, as built binaries: `fleet add-host` on an empty
/// database, its printed settings pasted into the host's config, then `keys init`, `scan --store`
/// and `monitor` as the host's least-privilege role; the history verifies for the administrator.
/// </summary>
public sealed class RolesEndToEndTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private RolesDatabase? _db;

    private RolesDatabase Db => _db ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync() => _db = await RolesDatabase.CreateAsync(migrate: false);

    public async Task DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
        _dir.Dispose();
    }

    private static string Why((int ExitCode, string Stdout, string Stderr) run) => $"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}";

    [Fact]
    public async Task AddHost_ThenScanAndMonitorWithThePrintedSettings_StoreAsTheHostAndVerify()
    {
        var name = RolesDatabase.UniqueName("web");
        Db.RemoveAtEnd(FleetRoleKind.Host, name);
        var admin = _dir.File("admin.yaml");
        await File.WriteAllTextAsync(admin, $$"""
            host: admin-box
            database: {driver: postgres, connection_string: "{{Db.OwnerConnectionString}}"}
            """);

        var bad = await BlueTeamProcess.RunAsync(["--config", admin, "fleet", "add-host", "Web01;DROP ROLE x"]);
        var added = await BlueTeamProcess.RunAsync(["--config", admin, "fleet", "add-host", name]);
        var roles = await BlueTeamProcess.RunAsync(["--config", admin, "fleet", "roles", "--format", "json"]);

        Assert.True(bad.ExitCode == 2, Why(bad));
        Assert.Contains("is not a fleet host name", bad.Stderr, StringComparison.Ordinal);
        Assert.True(added.ExitCode == 0, Why(added));
        var password = System.Text.RegularExpressions.Regex.Match(added.Stdout, "Password=([A-Za-z0-9]+)").Groups[1].Value;
        Assert.Equal(32, password.Length);
        Assert.DoesNotContain(password, added.Stderr, StringComparison.Ordinal); // on stdout only (stderr has the migration log)
        var listed = Assert.Single(JsonDocument.Parse(roles.Stdout).RootElement.EnumerateArray());
        Assert.Equal(("host", name, "blueteam_host_" + name), (listed.GetProperty("kind").GetString(), listed.GetProperty("name").GetString(), listed.GetProperty("role").GetString()));

        // The host's config: the printed YAML as is, then what this host watches.
        var printed = added.Stdout.Split('\n');
        var yaml = printed.SkipWhile(l => !l.StartsWith($"in {name}'s blueteam.yaml", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.Length > 0);
        var log = _dir.File("auth.log");
        await File.WriteAllTextAsync(log, "");
        var hostConfig = _dir.File("host.yaml");
        await File.WriteAllTextAsync(hostConfig, string.Join('\n', yaml) + $$"""

            monitoring: {poll_interval_sec: 1}
            storage:
              sealing:
                state_path: {{_dir.File("sealing/state.json")}}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            alerting:
              syslog: {enabled: false}
            """);
        Assert.Contains("password=", (await File.ReadAllTextAsync(hostConfig)).ToLowerInvariant(), StringComparison.Ordinal);

        var keys = await BlueTeamProcess.RunAsync(["--config", hostConfig, "keys", "init"]);
        Assert.True(keys.ExitCode == 0, Why(keys));
        var attack = _dir.File("attack.log");
        await File.WriteAllLinesAsync(attack, AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 9, 0, 0), TimeSpan.FromSeconds(5)));
        var scan = await BlueTeamProcess.RunAsync(["--config", hostConfig, "scan", "--store", "--year", "2026", attack]);
        Assert.True(scan.ExitCode == 0, Why(scan));

        using (var daemon = BlueTeamProcess.Start(["--config", hostConfig, "monitor", "--no-dashboard"]))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await File.AppendAllLinesAsync(log, AuthLogLines.FailedPasswords("198.51.100.9", 6, new DateTime(2026, 3, 10, 10, 0, 0), TimeSpan.FromSeconds(5)));
            JsonElement[] stored = [];
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && stored.Length < 2)
            {
                var (_, stdout, _) = await BlueTeamProcess.RunAsync(["--config", hostConfig, "alerts", "list", "--format", "json", "--rule", "ssh_brute_force"]);
                stored = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToArray();
                await Task.Delay(300);
            }
            Assert.Equal(2, stored.Length);
            Assert.All(stored, a => Assert.Equal(name, a.GetProperty("host").GetString()));
            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.DoesNotContain("permission denied", daemon.Stderr, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("row-level security", daemon.Stderr, StringComparison.OrdinalIgnoreCase);
        }

        // The daemon kept its read position and its heartbeat under its own name.
        Assert.Equal(1, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, $"SELECT count(*) FROM blueteam.checkpoints WHERE host = '{name}' AND \"offset\" > 0"));
        Assert.Equal(1, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, $"SELECT count(*) FROM blueteam.heartbeats WHERE host = '{name}'"));
        Assert.True(await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, $"SELECT count(*) FROM blueteam.seals WHERE host = '{name}'") > 0);

        // The host's role cannot acknowledge (operators do), and the administrator's verify, seals included, passes.
        var ack = await BlueTeamProcess.RunAsync(["--config", hostConfig, "alerts", "ack", "1", "--by", "mallory", "--note", "nothing to see"]);
        Assert.True(ack.ExitCode == 3, Why(ack));
        Assert.Contains("permission denied", ack.Stderr, StringComparison.Ordinal);
        var verify = await BlueTeamProcess.RunAsync(["--config", admin, "verify", "--host", name, "--key", keys.Stdout.Trim()]);
        Assert.True(verify.ExitCode == 0, Why(verify));

        var removed = await BlueTeamProcess.RunAsync(["--config", admin, "fleet", "remove-host", name]);
        var again = await BlueTeamProcess.RunAsync(["--config", admin, "fleet", "remove-host", name]);
        Assert.True(removed.ExitCode == 0, Why(removed));
        Assert.Contains("its history stays", removed.Stdout, StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, Why(again));
        Assert.Contains("nothing to remove", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FleetCommands_OnSqlite_UsageErrorExitTwo()
    {
        var config = _dir.File("sqlite.yaml");
        await File.WriteAllTextAsync(config, $"host: solo\ndatabase: {{driver: sqlite, path: {_dir.File("solo.db")}}}\n");

        var run = await BlueTeamProcess.RunAsync(["--config", config, "fleet", "add-host", "web01"]);

        Assert.True(run.ExitCode == 2, Why(run));
        Assert.Contains("database.driver is not postgres", run.Stderr, StringComparison.Ordinal);
    }
}
