using System.Diagnostics;
using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>The daemon as a process, on a temp auth.log and a temp SQLite store, with real signals.</summary>
public class MonitorEndToEndTests : IDisposable
{
    private const int PollIntervalSec = 2;
    private readonly TempDir _dir = new();
    private readonly string _log;
    private readonly string _config;

    public MonitorEndToEndTests()
    {
        _log = _dir.File("auth.log");
        _config = _dir.File("blueteam.yaml");
        File.WriteAllText(_config, $"""
            host: e2e-host
            database: {"{"}driver: sqlite, path: {_dir.File("blueteam.db")}{"}"}
            monitoring: {"{"}poll_interval_sec: {PollIntervalSec}{"}"}
            correlation:
              rules:
                # The test's accepted login is stamped with the wall clock; keep the day of the week out of it.
                off_hours_login: {"{"}enabled: false{"}"}
            collectors:
              auth_log: {"{"}type: auth, paths: [{_log}]{"}"}
            alerting:
              console: {"{"}enabled: true{"}"}
              syslog: {"{"}enabled: false{"}"}
              email: {"{"}enabled: false{"}"}
            """);
    }

    public void Dispose() => _dir.Dispose();

    private async Task<List<JsonElement>> StoredAlertsAsync()
    {
        // A copy of the original config: the daemon's own file may be deliberately broken by a test.
        var query = _dir.File("query.yaml");
        if (!File.Exists(query)) File.Copy(_config, query);
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", query, "alerts", "list", "--format", "json"]);
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
    }

    [Fact]
    public async Task Monitor_AppendedBruteForce_StoredWithinPollInterval_SigtermSummarises_RestartDoesNotRealert()
    {
        var now = DateTime.Now;
        await File.WriteAllLinesAsync(_log, [AuthLogLines.Cron(now.AddMinutes(-5)), AuthLogLines.Accepted("198.51.100.20", now.AddMinutes(-4))]);

        using (var daemon = BlueTeamProcess.Start(["--config", _config, "monitor"]))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await daemon.WaitForOutputAsync("Poll interval: 2s", TimeSpan.FromSeconds(5));
            await Task.Delay(500); // let the first cycle read the existing lines

            var appended = Stopwatch.StartNew();
            await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.7", 6, now, TimeSpan.FromSeconds(5)));
            List<JsonElement> alerts;
            do
            {
                alerts = await StoredAlertsAsync();
            }
            while (alerts.Count == 0 && appended.Elapsed < TimeSpan.FromSeconds(PollIntervalSec * 5));
            var alert = Assert.Single(alerts);
            Assert.True(appended.Elapsed < TimeSpan.FromSeconds(PollIntervalSec + 2), $"stored after {appended.Elapsed}, poll interval is {PollIntervalSec}s");
            Assert.Equal("ssh_brute_force", alert.GetProperty("rule_name").GetString());
            Assert.Equal("203.0.113.7", alert.GetProperty("source_ip").GetString());
            Assert.Equal("e2e-host", alert.GetProperty("host").GetString());

            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("Monitor stopped.", daemon.Stdout);
            Assert.Contains("Session Summary:", daemon.Stdout);
            Assert.Contains("Events collected: 8", daemon.Stdout); // 6 failures, 1 accepted login, 1 cron session opened
            Assert.Contains("Incidents detected: 1", daemon.Stdout);
        }

        // Started again on the same files: the lines already read are not read again.
        using (var again = BlueTeamProcess.Start(["--config", _config, "monitor"]))
        {
            await again.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(PollIntervalSec + 1));
            again.Signal(BlueTeamProcess.SIGINT);
            Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("Events collected: 0", again.Stdout);
            Assert.Contains("Incidents detected: 0", again.Stdout);
        }
        var after = Assert.Single(await StoredAlertsAsync());
        Assert.Equal(6, after.GetProperty("event_count").GetInt32());
    }

    private async Task<List<JsonElement>> WaitForAlertsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<JsonElement> alerts;
        do
        {
            alerts = (await StoredAlertsAsync()).Where(a => a.GetProperty("rule_name").GetString() == "ssh_brute_force").ToList();
            if (alerts.Count >= count) return alerts;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        return alerts;
    }

    [Fact]
    public async Task Monitor_Sighup_AppliesChangedThreshold_AndKeepsRunningConfigWhenNewOneIsBroken()
    {
        var original = await File.ReadAllTextAsync(_config);
        await File.WriteAllTextAsync(_config, original.Replace("off_hours_login: {enabled: false}", "off_hours_login: {enabled: false}\n    ssh_brute_force: {threshold: 10}", StringComparison.Ordinal));
        await File.WriteAllTextAsync(_log, "");
        var start = new DateTime(2026, 3, 10, 8, 30, 0);
        using var daemon = BlueTeamProcess.Start(["--config", _config, "monitor"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));

        // threshold 10: six failures are not yet a brute force
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.10", 6, start, TimeSpan.FromSeconds(5)));
        await Task.Delay(TimeSpan.FromSeconds(PollIntervalSec + 1));
        Assert.Empty(await WaitForAlertsAsync(1, TimeSpan.Zero));

        // threshold 5 after SIGHUP: six failures from another source are
        await File.WriteAllTextAsync(_config, original.Replace("off_hours_login: {enabled: false}", "off_hours_login: {enabled: false}\n    ssh_brute_force: {threshold: 5}", StringComparison.Ordinal));
        daemon.Signal(BlueTeamProcess.SIGHUP);
        await daemon.WaitForOutputAsync("Configuration reloaded", TimeSpan.FromSeconds(30)); // a reload builds every rule again: slow on a loaded CI machine
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.20", 6, start.AddMinutes(20), TimeSpan.FromSeconds(5)));
        var alerts = await WaitForAlertsAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal("203.0.113.20", Assert.Single(alerts).GetProperty("source_ip").GetString());

        // a broken config on SIGHUP is refused and the running one (threshold 5) is kept
        await File.WriteAllTextAsync(_config, original + "\nbogus_key: 1\n");
        daemon.Signal(BlueTeamProcess.SIGHUP);
        await daemon.WaitForOutputAsync("Configuration reload refused", TimeSpan.FromSeconds(30));
        Assert.Contains("bogus_key", daemon.Stderr);
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.30", 6, start.AddMinutes(40), TimeSpan.FromSeconds(5)));
        Assert.Equal(2, (await WaitForAlertsAsync(2, TimeSpan.FromSeconds(10))).Count);

        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
