using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>Event time: `scan` of a finished log and the live daemon on the same log store the same incidents.</summary>
public class ScanVersusDaemonFingerprintTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ScanAndMonitor_SameLog_SameFingerprints()
    {
        var log = _dir.File("auth.log");
        var start = new DateTime(2026, 3, 10, 8, 30, 0);
        var lines = new List<string> { AuthLogLines.Cron(start) };
        lines.AddRange(AuthLogLines.FailedPasswords("203.0.113.7", 9, start.AddSeconds(5), TimeSpan.FromSeconds(7)));
        lines.AddRange(new[] { "admin", "oracle", "test", "guest", "ubuntu", "pi" }.Select((u, i) =>
            $"{AuthLogLines.Header(start.AddMinutes(3).AddSeconds(i), "sshd", 6000 + i)} Failed password for invalid user {u} from 198.51.100.66 port {50000 + i} ssh2"));
        lines.AddRange(AuthLogLines.FailedPasswords("192.0.2.44", 5, start.AddMinutes(30), TimeSpan.FromSeconds(2)));
        lines.Add(AuthLogLines.Accepted("192.0.2.44", start.AddMinutes(31), "root"));
        await File.WriteAllLinesAsync(log, lines);
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, $$"""
            host: fp-host
            database: {driver: sqlite, path: {{_dir.File("bt.db")}}}
            monitoring: {poll_interval_sec: 1}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            correlation:
              rules:
                off_hours_login: {enabled: false}
            alerting:
              syslog: {enabled: false}
            """);

        var (scanExit, scanOut, scanErr) = await BlueTeamProcess.RunAsync(["--config", config, "scan", "--format", "jsonl", "--year", "2026", log]);
        Assert.True(scanExit == 0, scanErr);
        var scanned = scanOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(i => i.GetProperty("fingerprint").GetString()!, i => i.GetProperty("rule").GetProperty("name").GetString()!);
        Assert.Contains("ssh_brute_force", scanned.Values);
        Assert.Contains("password_spray", scanned.Values);
        Assert.Contains("login_after_failures", scanned.Values);

        using (var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(3));
            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        var (listExit, listOut, listErr) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json", "--limit", "1000"]);
        Assert.True(listExit == 0, listErr);
        // A first start: the daemon adds its digest of the history it read (not a detection, so not in scan's output).
        var stored = JsonDocument.Parse(listOut).RootElement.EnumerateArray()
            .Where(a => a.GetProperty("rule_name").GetString() != "first_start_history")
            .ToDictionary(a => a.GetProperty("fingerprint").GetString()!, a => a.GetProperty("rule_name").GetString()!);
        Assert.Equal(scanned.OrderBy(p => p.Key), stored.OrderBy(p => p.Key));
    }
}
