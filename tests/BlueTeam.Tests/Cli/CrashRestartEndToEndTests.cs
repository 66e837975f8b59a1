using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// SIGKILL in the middle of a file, then a restart: every attack is stored exactly once with its
/// full count — nothing lost (checkpoints), nothing re-alerted (replayed windows give the same
/// fingerprints).
/// </summary>
public class CrashRestartEndToEndTests : IDisposable
{
    private const int Sources = 300;
    private const int FailuresEach = 6;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Monitor_SigkillMidFileAndRestart_EveryIncidentOnceWithFullCount()
    {
        var log = _dir.File("auth.log");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, $$"""
            host: crash-host
            database: {driver: sqlite, path: {{_dir.File("bt.db")}}}
            monitoring: {poll_interval_sec: 1}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            correlation:
              rules:
                off_hours_login: {enabled: false}
            alerting:
              console: {enabled: false}
              syslog: {enabled: false}
            """);
        // Interleaved bursts: every source's six failures are spread over the file, so a kill
        // anywhere leaves bursts open across the last checkpoint.
        var start = new DateTime(2026, 3, 10, 8, 0, 0);
        var lines = new List<string>();
        for (var round = 0; round < FailuresEach; round++)
            for (var s = 0; s < Sources; s++)
            {
                var t = start.AddSeconds(round * 30 + s * 0.05);
                lines.Add($"{AuthLogLines.Header(t, "sshd", 5000 + s)} Failed password for root from 198.18.{s / 250}.{s % 250 + 1} port {40000 + round} ssh2");
                lines.Add(AuthLogLines.Cron(t));
            }
        await File.WriteAllLinesAsync(log, lines);

        using (var first = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]))
        {
            await first.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            // Kill as soon as the first incidents exist: the file is partly processed.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && (await CountAsync(config)) == 0) await Task.Delay(20);
            first.Signal(BlueTeamProcess.SIGKILL);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        using (var second = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]))
        {
            await second.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && (await CountAsync(config)) < Sources) await Task.Delay(200);
            await Task.Delay(1500); // let it finish the file
            second.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        var alerts = await ListAsync(config);
        var bruteForce = alerts.Where(a => a.GetProperty("rule_name").GetString() == "ssh_brute_force").ToList();
        Assert.Equal(Sources, bruteForce.Count);
        Assert.Equal(Sources, bruteForce.Select(a => a.GetProperty("source_ip").GetString()).Distinct().Count());
        Assert.All(bruteForce, a => Assert.Equal(FailuresEach, a.GetProperty("event_count").GetInt32()));
    }

    private static async Task<int> CountAsync(string config) =>
        (await ListAsync(config)).Count(a => a.GetProperty("rule_name").GetString() == "ssh_brute_force");

    private static async Task<List<JsonElement>> ListAsync(string config)
    {
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json", "--limit", "10000"]);
        if (exit == 3) return []; // the store file does not exist yet
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
    }
}
