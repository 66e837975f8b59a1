using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// One engine: `scan`, `rules test` and `monitor` give the same incidents on the same logs, auditd's
/// multi-record events included (each is complete only when its next record or the end of the file
/// comes, which `rules test` used to miss).
/// </summary>
public sealed class ParityEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ScanRulesTestAndMonitor_SameLogs_SameIncidents()
    {
        var auth = _dir.File("auth.log");
        var audit = _dir.File("audit.log");
        var start = new DateTime(2026, 3, 10, 8, 30, 0);
        var lines = new List<string> { AuthLogLines.Cron(start) };
        lines.AddRange(AuthLogLines.FailedPasswords("203.0.113.7", 9, start.AddSeconds(5), TimeSpan.FromSeconds(7)));
        lines.AddRange(new[] { "admin", "oracle", "test", "guest", "ubuntu", "pi" }.Select((u, i) =>
            $"{AuthLogLines.Header(start.AddMinutes(3).AddSeconds(i), "sshd", 6000 + i)} Failed password for invalid user {u} from 198.51.100.66 port {50000 + i} ssh2"));
        await File.WriteAllLinesAsync(auth, lines);
        var t = new DateTimeOffset(start, TimeSpan.Zero).ToUnixTimeSeconds();
        await File.WriteAllLinesAsync(audit,
        [
            // Each event is complete only when the next serial comes (so it surfaces with the next line), the last
            // one only at the end of the file; the first is an execve of three records.
            $"type=SYSCALL msg=audit({t - 5}.050:500): arch=c000003e syscall=59 success=yes exit=0 pid=4241 auid=1000 uid=0 comm=\"id\" exe=\"/usr/bin/id\"",
            $"type=EXECVE msg=audit({t - 5}.050:500): argc=1 a0=\"id\"",
            $"type=PROCTITLE msg=audit({t - 5}.050:500): proctitle=6964",
            $"type=ADD_USER msg=audit({t}.100:501): pid=4242 uid=0 auid=1000 msg='op=adding user acct=\"eve\" exe=\"/usr/sbin/useradd\" res=success'",
            $"type=CONFIG_CHANGE msg=audit({t + 60}.200:502): auid=1000 ses=1 op=remove_rule key=\"cui\" list=4 res=1",
            $"type=ADD_USER msg=audit({t + 120}.300:503): pid=4243 uid=0 auid=1000 msg='op=adding user acct=\"mallory\" exe=\"/usr/sbin/useradd\" res=success'",
        ]);
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, $$"""
            host: parity-host
            database: {driver: sqlite, path: {{_dir.File("bt.db")}}}
            monitoring: {poll_interval_sec: 1}
            collectors:
              auth_log: {type: auth, paths: [{{auth}}], time_zone: UTC}
              audit_log: {type: audit, paths: [{{audit}}]}
            correlation:
              rules:
                off_hours_login: {enabled: false}
            alerting:
              syslog: {enabled: false}
            """);

        // scan
        var scanned = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (file, type) in new[] { (auth, "auth"), (audit, "audit") })
        {
            var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "scan", "--format", "jsonl", "--year", "2026", "--type", type, file],
                env: new Dictionary<string, string> { ["TZ"] = "UTC" });
            Assert.True(exit == 0, stderr);
            foreach (var l in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var i = JsonDocument.Parse(l).RootElement;
                scanned.Add($"{i.GetProperty("rule").GetProperty("name").GetString()} {i.GetProperty("fingerprint").GetString()}");
            }
        }
        Assert.Contains(scanned, s => s.StartsWith("account_created ", StringComparison.Ordinal));
        Assert.Equal(2, scanned.Count(s => s.StartsWith("account_created ", StringComparison.Ordinal))); // eve, and mallory at the end of the file
        Assert.Contains(scanned, s => s.StartsWith("audit_config_changed ", StringComparison.Ordinal));
        Assert.Contains(scanned, s => s.StartsWith("ssh_brute_force ", StringComparison.Ordinal));
        Assert.Contains(scanned, s => s.StartsWith("password_spray ", StringComparison.Ordinal));

        // rules test, one rule at a time, over the same files
        var tested = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rule in scanned.Select(s => s.Split(' ')[0]).Distinct())
            foreach (var (file, type) in new[] { (auth, "auth"), (audit, "audit") })
            {
                var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "rules", "test", rule, file, "--type", type, "--year", "2026"],
                    env: new Dictionary<string, string> { ["TZ"] = "UTC" });
                Assert.True(exit == 0, stderr);
                foreach (var l in stdout.Split('\n').Where(l => l.Contains(": FIRED ", StringComparison.Ordinal)))
                    tested.Add($"{rule} {l[(l.LastIndexOf('[') + 1)..l.LastIndexOf(']')]}");
            }
        Assert.Equal(scanned, tested);

        // the daemon
        using (var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"], env: new Dictionary<string, string> { ["TZ"] = "UTC" }))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            var stored = new SortedSet<string>(StringComparer.Ordinal);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && !stored.SetEquals(scanned))
            {
                await Task.Delay(500);
                var (exit, stdout, _) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json", "--limit", "1000"]);
                if (exit != 0) continue;
                stored = new SortedSet<string>(JsonDocument.Parse(stdout).RootElement.EnumerateArray()
                    .Select(a => $"{a.GetProperty("rule_name").GetString()} {a.GetProperty("fingerprint").GetString()}"), StringComparer.Ordinal);
            }
            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(scanned, stored);
        }
    }
}
