using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// `blueteam db backup` on the built binary: an online copy taken while the daemon writes, owner-only,
/// whose chain verifies; a restore is the copy put back; a backup never overwrites.
/// </summary>
public sealed class DbBackupEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Config(string database, string name = "blueteam.yaml")
    {
        var path = _dir.File(name);
        File.WriteAllText(path, $"""
            host: backup-host
            database: {database}
            monitoring: {"{"}poll_interval_sec: 1{"}"}
            collectors:
              auth_log: {"{"}type: auth, paths: [{_dir.File("auth.log")}]{"}"}
            alerting:
              console: {"{"}enabled: false{"}"}
              syslog: {"{"}enabled: false{"}"}
            """);
        return path;
    }

    private static async Task<List<JsonElement>> AlertsAsync(string config)
    {
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json"]);
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
    }

    [Fact]
    public async Task Backup_WhileDaemonWrites_CopyVerifiesAndRestoresTheHistory()
    {
        var store = _dir.File("state/blueteam.db");
        var config = Config($"{{driver: sqlite, path: {store}}}");
        await File.WriteAllTextAsync(_dir.File("auth.log"), "");
        using (var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await File.AppendAllLinesAsync(_dir.File("auth.log"), AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 8, 30, 0), TimeSpan.FromSeconds(5)));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((await AlertsAsync(config)).Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(300);

            // The daemon keeps running (and writing heartbeats) while the copy is taken.
            var backup = _dir.File("backup/blueteam-copy.db");
            Directory.CreateDirectory(Path.GetDirectoryName(backup)!);
            var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "db", "backup", backup]);
            Assert.True(exit == 0, stderr);
            Assert.Contains("1 alerts, integrity ok", stdout, StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));

            var again = await BlueTeamProcess.RunAsync(["--config", config, "db", "backup", backup]);
            Assert.Equal(2, again.ExitCode);
            Assert.Contains("never overwrites", again.Stderr, StringComparison.Ordinal);

            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));

            // Restore: the store is lost; the copy is put back in its place.
            foreach (var f in Directory.GetFiles(Path.GetDirectoryName(store)!)) File.Delete(f);
            File.Copy(backup, store);
            var verify = await BlueTeamProcess.RunAsync(["--config", config, "verify"]);
            Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
            var restored = Assert.Single(await AlertsAsync(config));
            Assert.Equal("ssh_brute_force", restored.GetProperty("rule_name").GetString());
        }
    }

    [Fact]
    public async Task Backup_PostgresStore_PointsAtPgDumpAndExitsTwo()
    {
        var config = Config("{driver: postgres, connection_string: \"Host=127.0.0.1;Port=1;Username=x;Database=y\"}");
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "db", "backup", _dir.File("copy.db")]);
        Assert.Equal(2, exit);
        Assert.Contains("pg_dump", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("copy.db")));
    }
}
