using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// The daemon's first start over logs that already hold attacks: they are stored but a file channel gets one
/// digest, not one alert each; live incidents after the start alert (and silences hold them back) as usual;
/// a later start resumes from its checkpoints and sends each incident on its own again.
/// </summary>
public sealed class FirstStartEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _log;
    private readonly string _config;
    private readonly string _alerts;

    public FirstStartEndToEndTests()
    {
        _log = _dir.File("auth.log");
        _alerts = _dir.File("alerts.jsonl");
        _config = _dir.File("blueteam.yaml");
        File.WriteAllText(_config, $$"""
            host: first-host
            database: {driver: sqlite, path: {{_dir.File("bt.db")}}}
            monitoring: {poll_interval_sec: 1}
            collectors:
              auth_log: {type: auth, paths: [{{_log}}]}
            correlation:
              rules:
                off_hours_login: {enabled: false}
            alerting:
              console: {enabled: false}
              syslog: {enabled: false}
              file: {enabled: true, path: {{_alerts}}}
              routing: {critical: [file], high: [file], medium: [file], low: [file]}
            """);
    }

    public void Dispose() => _dir.Dispose();

    private static string Why((int ExitCode, string Stdout, string Stderr) r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    private List<JsonElement> Sent() => File.Exists(_alerts)
        ? [.. File.ReadAllLines(_alerts).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement)]
        : [];

    private async Task<List<JsonElement>> WaitForSentAsync(Func<List<JsonElement>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var sent = Sent();
            if (done(sent) || DateTime.UtcNow >= deadline) return sent;
            await Task.Delay(200);
        }
    }

    private async Task<List<JsonElement>> IncidentsAsync()
    {
        var r = await BlueTeamProcess.RunAsync(["--config", _config, "incidents", "list", "--format", "json", "--limit", "1000"]);
        Assert.True(r.ExitCode == 0, Why(r));
        return [.. JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray()];
    }

    private static string? Ip(JsonElement alert) => alert.TryGetProperty("source", out var s) ? s.GetProperty("ip").GetString() : null;

    private static string Rule(JsonElement alert) => alert.GetProperty("rule").GetProperty("name").GetString()!;

    [Fact]
    public async Task FirstStart_HistoryGoesOutAsOneDigest_LiveIncidentsAlert_LaterStartResumesAsToday()
    {
        var now = DateTime.Now;
        var before = now.AddDays(-2);
        await File.WriteAllLinesAsync(_log, [
            .. AuthLogLines.FailedPasswords("198.51.100.1", 6, before, TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("198.51.100.2", 6, before.AddHours(1), TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("198.51.100.3", 6, before.AddHours(2), TimeSpan.FromSeconds(5)),
        ]);
        var silence = await BlueTeamProcess.RunAsync(["--config", _config, "silence", "add", "rule=ssh_brute_force", "source.ip=203.0.113.0/24", "--duration", "1h", "--reason", "pen test"]);
        Assert.True(silence.ExitCode == 0, Why(silence));

        using (var daemon = BlueTeamProcess.Start(["--config", _config, "monitor", "--no-dashboard"]))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            var digest = Assert.Single(await WaitForSentAsync(s => s.Count > 0, TimeSpan.FromSeconds(20)));
            Assert.Equal("first_start_history", Rule(digest));
            Assert.Equal("history before first start: 3 incidents, 3 high", digest.GetProperty("title").GetString());
            Assert.Equal("high", digest.GetProperty("severity").GetString());
            Assert.Equal(3, digest.GetProperty("event_count").GetInt32());
            Assert.Contains("ssh_brute_force 3", digest.GetProperty("description").GetString());
            Assert.Contains("file 3", digest.GetProperty("description").GetString());

            // After the start: one silenced by the CIDR silence, one not, and one written now with old timestamps
            // (the backlog was read: it is news, sent on its own).
            var live = DateTime.Now;
            await File.AppendAllLinesAsync(_log, [
                .. AuthLogLines.FailedPasswords("203.0.113.50", 6, live, TimeSpan.FromMilliseconds(100)),
                .. AuthLogLines.FailedPasswords("192.0.2.50", 6, live, TimeSpan.FromMilliseconds(100)),
                .. AuthLogLines.FailedPasswords("198.51.100.7", 6, before.AddHours(4), TimeSpan.FromSeconds(5)),
            ]);
            var sent = await WaitForSentAsync(s => s.Any(a => Ip(a) == "198.51.100.7"), TimeSpan.FromSeconds(20));
            await Task.Delay(1500); // a silenced incident is stored in the same batch; give a wrong delivery time to show
            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            sent = Sent();
            Assert.True(sent.Count == 3, string.Join("\n", sent.Select(a => a.GetRawText())));
            Assert.Equal(["first_start_history", "ssh_brute_force", "ssh_brute_force"], sent.Select(Rule));
            Assert.Equal(["192.0.2.50", "198.51.100.7"], sent.Skip(1).Select(Ip));
        }

        var incidents = await IncidentsAsync();
        var brute = incidents.Where(i => i.GetProperty("rule_name").GetString() == "ssh_brute_force")
            .ToDictionary(i => i.GetProperty("source_ip").GetString()!, i => i.GetProperty("triage").GetString());
        // History is stored and shown like anything else.
        Assert.Equal(["192.0.2.50", "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.7", "203.0.113.50"], brute.Keys.Order());
        Assert.Equal("silenced", brute["203.0.113.50"]);
        Assert.Equal("open", brute["198.51.100.1"]);

        // A later start resumes from the checkpoints: nothing read again, no digest, and an incident found now is
        // sent on its own even when its lines are old (as before this change).
        using (var again = BlueTeamProcess.Start(["--config", _config, "monitor", "--no-dashboard"]))
        {
            await again.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("198.51.100.9", 6, before.AddHours(3), TimeSpan.FromSeconds(5)));
            var sent = await WaitForSentAsync(s => s.Any(a => Ip(a) == "198.51.100.9"), TimeSpan.FromSeconds(20));
            again.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            // Delivery is at least once: a send written just before the first daemon stopped may be written again
            // by this one. What matters is which incidents went out, and that no history one did.
            var final = Sent();
            Assert.True(final.Select(a => $"{Rule(a)} {Ip(a)}").Distinct().SequenceEqual(["first_start_history ", "ssh_brute_force 192.0.2.50", "ssh_brute_force 198.51.100.7", "ssh_brute_force 198.51.100.9"]),
                string.Join("\n", final.Select(a => a.GetRawText())));
            Assert.DoesNotContain("First start", again.Stderr + again.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task FirstStart_DigestSwitchedOff_SendsEachAsBefore()
    {
        File.AppendAllText(_config, "\n  first_start_digest: false\n");
        var before = DateTime.Now.AddDays(-2);
        await File.WriteAllLinesAsync(_log, [
            .. AuthLogLines.FailedPasswords("198.51.100.1", 6, before, TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("198.51.100.2", 6, before.AddHours(1), TimeSpan.FromSeconds(5)),
        ]);

        using var daemon = BlueTeamProcess.Start(["--config", _config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        var sent = await WaitForSentAsync(s => s.Count >= 2, TimeSpan.FromSeconds(20));
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(["198.51.100.1", "198.51.100.2"], Sent().Select(Ip).Order());
    }
}
