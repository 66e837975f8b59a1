using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>The optional Prometheus endpoint of the daemon, scraped over loopback.</summary>
public class MetricsEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A daemon reading <paramref name="log"/> with metrics on loopback at <paramref name="port"/>.</summary>
    private async Task<string> WriteConfigAsync(int port, string log)
    {
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, $$"""
            host: metrics-host
            database: {driver: sqlite, path: {{_dir.File("bt.db")}}}
            monitoring:
              poll_interval_sec: 1
              metrics: {enabled: true, listen: "127.0.0.1:{{port}}"}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            alerting:
              syslog: {enabled: false}
            """);
        return config;
    }

    [Fact]
    public async Task Monitor_CutLineAndRuleError_CountedPerSourceOnTheSameMeter()
    {
        var port = SmtpServerFixture.FreeLoopbackPort();
        var log = _dir.File("auth.log");
        var start = new DateTime(2026, 3, 10, 8, 30, 0);
        await File.WriteAllLinesAsync(log, AuthLogLines.FailedPasswords("203.0.113.7", 2, start, TimeSpan.FromSeconds(5))
            .Append("Mar 10 08:31:00 web01 sshd[1]: " + new string('x', 70_000)) // over the 64 KiB default
            .Concat(AuthLogLines.FailedPasswords("203.0.113.7", 1, start.AddSeconds(20), TimeSpan.FromSeconds(5), user: "mallory")));
        var config = await WriteConfigAsync(port, log);
        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"],
            new Dictionary<string, string> { [BlueTeam.Correlation.Failpoint.RuleThrowsVariable] = "mallory" });
        await daemon.WaitForOutputAsync("Metrics on", TimeSpan.FromSeconds(30));
        using var http = new HttpClient();
        string body = "";
        // A line is counted as read before it is processed: wait for its rule error too.
        for (var i = 0; i < 50 && !body.Contains("blueteam_lines_failed_total{source=\"auth_log\",kind=\"rule_error\"} 1", StringComparison.Ordinal); i++)
        {
            await Task.Delay(200);
            body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        }
        Assert.Contains("blueteam_lines_total{source=\"auth_log\"} 4", body);
        var lines = string.Join("\n", body.Split('\n').Where(l => l.StartsWith("blueteam_lines", StringComparison.Ordinal)));
        Assert.True(lines.Contains("blueteam_lines_truncated_total{source=\"auth_log\"} 1", StringComparison.Ordinal), lines);
        Assert.Contains("blueteam_lines_failed_total{source=\"auth_log\",kind=\"rule_error\"} 1", body);
        Assert.Contains("blueteam_lines_failed_total{source=\"auth_log\",kind=\"parse_error\"} 0", body);
        Assert.Contains("blueteam_correlation_evicted_total{rule=\"ssh_brute_force\"} 0", body);
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Monitor_MetricsEnabled_ExposesSourcesIncidentsAndQueueOnLoopback()
    {
        var port = SmtpServerFixture.FreeLoopbackPort();
        var log = _dir.File("auth.log");
        await File.WriteAllLinesAsync(log, AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 8, 30, 0), TimeSpan.FromSeconds(5)));
        var config = await WriteConfigAsync(port, log);
        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync("Metrics on", TimeSpan.FromSeconds(30));
        using var http = new HttpClient();
        string body = "";
        for (var i = 0; i < 50 && !body.Contains("blueteam_incidents_total{rule=\"ssh_brute_force\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(200);
            body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        }
        Assert.Contains("blueteam_lines_total{source=\"auth_log\"} 6", body);
        Assert.Contains("blueteam_incidents_total{rule=\"ssh_brute_force\",severity=\"high\"} 1", body);
        Assert.Contains("blueteam_source_up{source=\"auth_log\"} 1", body);
        Assert.Contains("blueteam_queue_depth 0", body);
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task ConfigCheck_MetricsOnPublicAddress_IsRefused()
    {
        var config = _dir.File("bad.yaml");
        await File.WriteAllTextAsync(config, "monitoring:\n  metrics: {enabled: true, listen: \"0.0.0.0:9464\"}\n");
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "config", "check"]);
        Assert.Equal(2, exit);
        Assert.Contains("monitoring.metrics.listen", stderr);
        Assert.Contains("loopback", stderr);
    }
}
