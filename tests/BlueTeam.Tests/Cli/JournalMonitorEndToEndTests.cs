using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>The daemon on a journald collector: entries written to a real journal become stored alerts.</summary>
public class JournalMonitorEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Monitor_JournaldCollector_BruteForceInJournal_IsStored()
    {
        var journal = Path.Combine(_dir.Path, "journal");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, $$"""
            host: journal-host
            database: {driver: sqlite, path: {{_dir.File("bt.db")}}}
            monitoring: {poll_interval_sec: 1}
            collectors:
              journal: {type: journald, journal_directory: {{journal}}}
            alerting:
              syslog: {enabled: false}
            """);
        var t0 = new DateTimeOffset(2026, 3, 10, 8, 30, 0, TimeSpan.Zero);
        JournalFiles.Append(journal, [new JournalFiles.Entry(t0, "CRON", 10, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")]);
        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        JournalFiles.Append(journal, Enumerable.Range(0, 6).Select(i =>
            new JournalFiles.Entry(t0.AddSeconds(10 + i), "sshd", 4000 + i, $"Failed password for root from 203.0.113.99 port {42000 + i} ssh2")));

        JsonElement[] alerts = [];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json"]);
            Assert.True(exit == 0, stderr);
            alerts = JsonDocument.Parse(stdout).RootElement.EnumerateArray().Where(a => a.GetProperty("rule_name").GetString() == "ssh_brute_force").ToArray();
            if (alerts.Length > 0) break;
            await Task.Delay(300);
        }
        var alert = Assert.Single(alerts);
        Assert.Equal("203.0.113.99", alert.GetProperty("source_ip").GetString());
        Assert.Equal(6, alert.GetProperty("event_count").GetInt32());
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Events collected: 7", daemon.Stdout);
    }
}
