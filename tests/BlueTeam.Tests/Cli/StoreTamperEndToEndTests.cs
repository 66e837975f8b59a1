using System.Diagnostics;
using System.Text.Json;
using BlueTeam.Tests.Support;
using Microsoft.Data.Sqlite;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// The daemon watching its own store, as a process on a real SQLite file: the file deleted, or rows cut from the
/// chain, while it runs. audit_store_tampered must reach the file channel within two watch intervals (plus the
/// delivery's own second), and the incidents raised before and after must each be stored and delivered once.
/// </summary>
public sealed class StoreTamperEndToEndTests : IDisposable
{
    private const int WatchIntervalSec = 2;
    private readonly TempDir _dir = new();
    private readonly string _config;
    private readonly string _log;
    private readonly string _alerts;

    public StoreTamperEndToEndTests()
    {
        _log = _dir.File("auth.log");
        _alerts = _dir.File("alerts.jsonl");
        _config = _dir.File("blueteam.yaml");
        File.WriteAllText(_config, $"""
            host: tamper-e2e
            database: {"{"}driver: sqlite, path: {DatabasePath}{"}"}
            storage:
              sealing: {"{"}state_path: {_dir.File("keys/sealing.state")}{"}"}
              watch_interval_sec: {WatchIntervalSec}
            monitoring: {"{"}poll_interval_sec: 1{"}"}
            correlation:
              rules:
                off_hours_login: {"{"}enabled: false{"}"}
            collectors:
              auth_log: {"{"}type: auth, paths: [{_log}]{"}"}
            alerting:
              console: {"{"}enabled: false{"}"}
              email: {"{"}enabled: false{"}"}
              syslog: {"{"}enabled: false, send_chain_head: false{"}"}
              file: {"{"}enabled: true, path: {_alerts}{"}"}
              routing: {"{"}critical: [file], high: [file], medium: [file], low: [file], info: [file]{"}"}
            """);
        File.WriteAllText(_log, "");
    }

    private string DatabasePath => _dir.File("db/blueteam.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task StoreFileDeletedWhileRunning_TamperedWithinTwoIntervals_StoreRecreated_EveryIncidentStoredAndDeliveredOnce()
    {
        var (initExit, _, initErr) = await BlueTeamProcess.RunAsync(["--config", _config, "keys", "init"]);
        Assert.True(initExit == 0, initErr);
        using var daemon = BlueTeamProcess.Start(["--config", _config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync("Audit chain sealed at start", TimeSpan.FromSeconds(30));
        var now = DateTime.Now;
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.21", 6, now, TimeSpan.FromSeconds(1)));
        await WaitForDeliveredAsync("203.0.113.21", TimeSpan.FromSeconds(20));

        foreach (var file in Directory.GetFiles(_dir.File("db"))) File.Delete(file); // rm blueteam.db*
        var deleted = Stopwatch.StartNew();
        // One incident right after the delete, before the watcher can have looked, one after it recreated the store.
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.22", 6, now.AddSeconds(20), TimeSpan.FromSeconds(1)));
        await WaitForDeliveredAsync("Audit store tampered", TimeSpan.FromSeconds(30));
        var seen = deleted.Elapsed;
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.23", 6, now.AddSeconds(40), TimeSpan.FromSeconds(1)));
        await WaitForDeliveredAsync("203.0.113.23", TimeSpan.FromSeconds(20));
        await WaitForDeliveredAsync("203.0.113.22", TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(WatchIntervalSec * 2)); // room for a second delivery, if one were coming

        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(seen < TimeSpan.FromSeconds(2 * WatchIntervalSec + 1.5), $"audit_store_tampered delivered {seen} after the delete; the watch interval is {WatchIntervalSec}s");

        var delivered = DeliveredTitles();
        Assert.Single(delivered, t => t.StartsWith("Audit store tampered", StringComparison.Ordinal));
        foreach (var ip in new[] { "203.0.113.21", "203.0.113.22", "203.0.113.23" })
            Assert.Single(delivered, t => t.Contains(ip, StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DatabasePath));

        var (listExit, listOut, listErr) = await BlueTeamProcess.RunAsync(["--config", _config, "alerts", "list", "--format", "json", "--limit", "100"]);
        Assert.True(listExit == 0, listErr);
        var stored = JsonDocument.Parse(listOut).RootElement.EnumerateArray().Select(a => a.GetProperty("title").GetString()!).ToList();
        foreach (var ip in new[] { "203.0.113.21", "203.0.113.22", "203.0.113.23" })
            Assert.Single(stored, t => t.Contains(ip, StringComparison.Ordinal));
        Assert.Contains(stored, t => t.StartsWith("Audit store tampered", StringComparison.Ordinal));
        Assert.Contains(stored, t => t.StartsWith("Sealing key", StringComparison.Ordinal)); // read back from the deleted file
    }

    [Fact]
    public async Task ChainRowsDeletedWhileRunning_TamperedWithinTwoIntervals()
    {
        using var daemon = BlueTeamProcess.Start(["--config", _config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        var now = DateTime.Now;
        foreach (var (ip, i) in new[] { "203.0.113.31", "203.0.113.32", "203.0.113.33" }.Select((ip, i) => (ip, i)))
            await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords(ip, 6, now.AddSeconds(i * 10), TimeSpan.FromSeconds(1)));
        await WaitForDeliveredAsync("203.0.113.33", TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(WatchIntervalSec + 1)); // the watcher has seen the head

        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM alert_chain WHERE seq > (SELECT MAX(seq) - 2 FROM alert_chain)";
            await command.ExecuteNonQueryAsync();
        }
        var deleted = Stopwatch.StartNew();
        await WaitForDeliveredAsync("Audit store tampered", TimeSpan.FromSeconds(30));
        var seen = deleted.Elapsed;

        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(seen < TimeSpan.FromSeconds(2 * WatchIntervalSec + 1.5), $"audit_store_tampered delivered {seen} after the delete; the watch interval is {WatchIntervalSec}s");
        Assert.Single(DeliveredTitles(), t => t.Contains("shrank", StringComparison.Ordinal));
        Assert.Contains("\"severity\": \"critical\"", File.ReadAllText(_alerts).Replace("\"severity\":\"critical\"", "\"severity\": \"critical\"", StringComparison.Ordinal));
    }

    private List<string> DeliveredTitles() =>
        File.Exists(_alerts)
            ? File.ReadAllLines(_alerts).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()!).ToList()
            : [];

    private async Task WaitForDeliveredAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!DeliveredTitles().Any(t => t.Contains(text, StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{text}' not delivered to the file channel within {timeout}: {string.Join(" | ", DeliveredTitles())}");
            await Task.Delay(100);
        }
    }
}
