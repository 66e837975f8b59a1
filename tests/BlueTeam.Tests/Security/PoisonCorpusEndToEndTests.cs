using System.Text;
using System.Text.Json;
using BlueTeam.Tests.Reliability;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Security;

/// <summary>
/// Lines written to break a log reader, fed to the real daemon: lone surrogate escapes in every field
/// of an eqmon JSON line, invalid UTF-8, NUL bytes, a 10 MB line, JSON nested 10,000 deep, a FIFO and a
/// socket in a watched glob, a rule that throws (a failpoint). The daemon
/// keeps running, `status` counts what it had to skip, an SSH brute force written afterwards is
/// alerted as usual, and after a restart the poison is not read again.
/// </summary>
public sealed class PoisonCorpusEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IEnumerable<byte[]> JsonPoison()
    {
        string[] fields = ["timestamp", "event", "outcome", "reason", "user", "ip", "record_count", "cui", "classification", "path", "message"];
        foreach (var field in fields)
        {
            var values = fields.ToDictionary(f => f, f => f == "timestamp" ? "\"2026-03-10T08:30:00Z\"" : f == "ip" ? "\"203.0.113.9\"" : "\"x\"");
            values[field] = "\"a\\ud800b\"";           // a lone high surrogate
            yield return Line("{" + string.Join(",", values.Select(kv => $"\"{kv.Key}\":{kv.Value}")) + "}");
            values[field] = "\"\\udc00\"";             // a lone low surrogate
            yield return Line("{" + string.Join(",", values.Select(kv => $"\"{kv.Key}\":{kv.Value}")) + "}");
        }
        yield return Line("{\"\\ud800\":1,\"event\":\"login_failed\"}"); // in a key
        yield return Line(new string('[', 10_000) + new string(']', 10_000));
        yield return Line("{\"event\":" + string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_001));
        yield return [.. "{\"event\":\"login_failed\",\"user\":\""u8.ToArray(), 0xC3, 0x28, 0xFF, 0xFE, .. "\"}\n"u8.ToArray()]; // invalid UTF-8
        yield return [.. "{\"event\":\"lo\0gin\",\"user\":\"\0\",\"ip\":\"203.0.113.9\0\"}\n"u8.ToArray()];
        yield return Line("{\"event\":\"login_failed\",\"message\":\"" + new string('A', 10 * 1024 * 1024) + "\"}");
    }

    private static IEnumerable<byte[]> AuthPoison()
    {
        yield return [.. "Mar 10 08:30:00 web01 sshd[1]: Failed password for \0root from 203.0.113.9 port 1 ssh2\n"u8.ToArray()];
        yield return [.. "Mar 10 08:30:00 web01 sshd[1]: Failed password for "u8.ToArray(), 0xC3, 0x28, 0xED, 0xA0, 0x80, .. " from 203.0.113.9 port 1 ssh2\n"u8.ToArray()];
        yield return Line("Mar 10 08:30:00 web01 sshd[1]: " + new string('x', 10 * 1024 * 1024));
        yield return Line("Mar 10 08:30:00 web01 sshd[1]: Failed password for " + new string('{', 10_000) + " from 203.0.113.9 port 1 ssh2");
    }

    private static byte[] Line(string text) => Encoding.UTF8.GetBytes(text + "\n");

    [Fact]
    public async Task Monitor_PoisonInEveryField_KeepsRunning_StatusCountsIt_LaterAttackAlerted_RestartDoesNotRereadIt()
    {
        var auth = _dir.File("auth.log");
        var app = _dir.File("eqmon.json.log");
        var db = _dir.File("blueteam.db");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, FaultRig.Config("poison-host", $"{{driver: sqlite, path: {db}}}", 1,
            $"  auth_log: {{type: auth, paths: [{auth}]}}\n  eqmon: {{type: json, paths: [{app}]}}", FaultRig.FileOnlyAlerting(_dir.File("alerts.jsonl"))));
        await using (var a = File.Create(auth)) foreach (var l in AuthPoison()) await a.WriteAsync(l);
        await using (var j = File.Create(app)) foreach (var l in JsonPoison()) await j.WriteAsync(l);

        using (var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await File.AppendAllLinesAsync(auth, AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 9, 0, 0), TimeSpan.FromSeconds(5)));
            await FaultRig.WaitUntilAsync(async () => (await FaultRig.AlertsAsync(config)).Any(IsBruteForceFrom7), TimeSpan.FromSeconds(60),
                () => "the brute force after the poison was not alerted\n" + daemon.Stderr);

            // The heartbeat (every poll interval) carries the counts to `status`.
            await FaultRig.WaitUntilAsync(async () => (await StatusAsync(config)).ParseErrors >= 1, TimeSpan.FromSeconds(15),
                () => "status shows no parse error\n" + daemon.Stderr);
            var status = await StatusAsync(config);
            Assert.Contains("skipped", status.EqmonState, StringComparison.Ordinal);
            // Both 10 MB lines were cut at the default 64 KiB and counted, never buffered whole.
            await FaultRig.WaitUntilAsync(async () => (await StatusAsync(config)).Json.Contains("\"lines_truncated\": 2", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), () => "status does not count the two cut lines\n" + daemon.Stderr);
            Assert.False(daemon.HasExited, "the daemon stopped:\n" + daemon.Stderr);
            // Every poison line read and its position committed (a busy machine reads the 10 MB lines slowly):
            // what the restart reads after this would be new, not the poison again.
            var length = new FileInfo(app).Length;
            await FaultRig.WaitUntilAsync(async () => (await FaultRig.CheckpointAsync(db, "eqmon", app))?.Offset == length, TimeSpan.FromSeconds(60),
                () => "the eqmon log was not read to its end\n" + daemon.Stderr);

            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        // The restart resumes after the poison: nothing fails again, nothing is alerted twice.
        var restartedAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        using (var again = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]))
        {
            await again.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            // The first run's last heartbeat is still fresh for a moment: wait for the new daemon's own.
            await FaultRig.WaitUntilAsync(async () => (await StatusAsync(config)) is { Fresh: true } s && s.StartedAt >= restartedAt,
                TimeSpan.FromSeconds(20), () => again.Stderr);
            var status = await StatusAsync(config);
            Assert.True(status.ParseErrors == 0, "the restart read the poison again:\n" + status.Json);
            Assert.Single(await FaultRig.AlertsAsync(config), IsBruteForceFrom7);
            again.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }
    }

    [Fact]
    public async Task Monitor_SourceMostlyPoison_RaisesCollectorFailureOnce()
    {
        var app = _dir.File("eqmon.json.log");
        var db = _dir.File("blueteam.db");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, FaultRig.Config("poison-host", $"{{driver: sqlite, path: {db}}}", 1,
            $"  eqmon: {{type: json, paths: [{app}]}}", FaultRig.FileOnlyAlerting(_dir.File("alerts.jsonl")),
            extra: "") .Replace("monitoring: {poll_interval_sec: 1}", "monitoring: {poll_interval_sec: 1, parse_error_alert_count: 5}", StringComparison.Ordinal));
        await using (var j = File.Create(app))
            for (var i = 0; i < 12; i++) await j.WriteAsync(Line($"{{\"event\":\"login_failed\",\"user\":\"u{i}\\ud800\",\"ip\":\"203.0.113.9\"}}"));

        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30)); // the store exists from here
        await FaultRig.WaitUntilAsync(async () => (await FaultRig.AlertsAsync(config)).Any(a => a.GetProperty("rule_name").GetString() == "collector_failure"),
            TimeSpan.FromSeconds(30), () => "no collector_failure for a source the parsers keep failing on\n" + daemon.Stderr);
        var failure = Assert.Single(await FaultRig.AlertsAsync(config), a => a.GetProperty("rule_name").GetString() == "collector_failure");
        Assert.Contains("eqmon", failure.GetProperty("title").GetString(), StringComparison.Ordinal);
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Monitor_RuleThrowsOnOneEvent_OtherRulesStillSeeIt_StatusCountsTheRuleError_DaemonKeepsRunning()
    {
        var auth = _dir.File("auth.log");
        var db = _dir.File("blueteam.db");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, FaultRig.Config("poison-host", $"{{driver: sqlite, path: {db}}}", 1,
            $"  auth_log: {{type: auth, paths: [{auth}]}}", FaultRig.FileOnlyAlerting(_dir.File("alerts.jsonl"))));
        await File.WriteAllTextAsync(auth, "");

        // The failpoint rule throws on every event of user "mallory": a rule with a bug that attacker text reaches.
        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"],
            new Dictionary<string, string> { [BlueTeam.Correlation.Failpoint.RuleThrowsVariable] = "mallory" });
        // The banner's last lines come a moment after its first: wait for the one that says the failpoint is on.
        await daemon.WaitForOutputAsync("Failpoint on", TimeSpan.FromSeconds(30));
        var start = new DateTime(2026, 3, 10, 9, 0, 0);
        await File.AppendAllLinesAsync(auth, AuthLogLines.FailedPasswords("203.0.113.7", 3, start, TimeSpan.FromSeconds(5))
            .Concat(AuthLogLines.FailedPasswords("203.0.113.7", 1, start.AddSeconds(15), TimeSpan.FromSeconds(5), user: "mallory"))
            .Concat(AuthLogLines.FailedPasswords("203.0.113.7", 1, start.AddSeconds(20), TimeSpan.FromSeconds(5))));

        // Five failures, one of them the one the failpoint throws on: the brute force rule still counts all five.
        await FaultRig.WaitUntilAsync(async () => (await FaultRig.AlertsAsync(config)).Any(IsBruteForceFrom7), TimeSpan.FromSeconds(60),
            () => "the brute force whose fourth event made a rule throw was not alerted\n" + daemon.Stderr);
        await FaultRig.WaitUntilAsync(async () => (await StatusAsync(config)).Json.Contains("\"rule_errors\": 1", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            () => "status shows no rule error\n" + daemon.Stderr);
        var status = await StatusAsync(config);
        Assert.Contains("1 rule error(s)", status.Json, StringComparison.Ordinal);
        Assert.Contains("failpoint_rule_throws: InvalidOperationException", status.Json, StringComparison.Ordinal);
        Assert.False(daemon.HasExited, "the daemon stopped:\n" + daemon.Stderr);
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Monitor_FifoAndSocketInAWatchedGlob_NeverOpened_ReportedAndTheRealLogStillRead()
    {
        var logs = _dir.File("logs");
        Directory.CreateDirectory(logs);
        var auth = Path.Combine(logs, "auth.log");
        await File.WriteAllTextAsync(auth, "");
        var fifo = Path.Combine(logs, "evil.log");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) await mkfifo.WaitForExitAsync();
        Assert.True(File.Exists(fifo), "mkfifo failed");
        var socketPath = Path.Combine(logs, "sock.log");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        var db = _dir.File("blueteam.db");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, FaultRig.Config("poison-host", $"{{driver: sqlite, path: {db}}}", 1,
            $"  auth_log: {{type: auth, paths: [\"{Path.Combine(logs, "*.log")}\"]}}", FaultRig.FileOnlyAlerting(_dir.File("alerts.jsonl"))));

        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        await File.AppendAllLinesAsync(auth, AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 9, 0, 0), TimeSpan.FromSeconds(5)));
        await FaultRig.WaitUntilAsync(async () => (await FaultRig.AlertsAsync(config)).Any(IsBruteForceFrom7), TimeSpan.FromSeconds(30),
            () => "the real log was not read beside the FIFO\n" + daemon.Stderr);
        await FaultRig.WaitUntilAsync(async () => (await FaultRig.AlertsAsync(config)).Count(a => a.GetProperty("rule_name").GetString() == "collector_failure") >= 2,
            TimeSpan.FromSeconds(30), () => "the FIFO and the socket were not reported\n" + daemon.Stderr);
        Assert.Contains("a FIFO, not a regular file", daemon.Stderr, StringComparison.Ordinal);
        Assert.Contains("a socket, not a regular file", daemon.Stderr, StringComparison.Ordinal);

        // Nothing is blocked on the FIFO: SIGTERM stops the daemon as usual.
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    private static bool IsBruteForceFrom7(JsonElement alert) =>
        alert.GetProperty("rule_name").GetString() == "ssh_brute_force" && alert.GetProperty("source_ip").GetString() == "203.0.113.7";

    private sealed record Status(string Json, long ParseErrors, string EqmonState, bool Fresh, DateTimeOffset StartedAt);

    private static async Task<Status> StatusAsync(string config)
    {
        var (_, stdout, _) = await BlueTeamProcess.RunAsync(["--config", config, "status", "--format", "json"]);
        using var doc = JsonDocument.Parse(stdout);
        var host = doc.RootElement.GetProperty("hosts")[0];
        var counters = host.TryGetProperty("counters", out var c) ? c : default;
        var parseErrors = counters.ValueKind == JsonValueKind.Object && counters.TryGetProperty("parse_errors", out var p) ? p.GetInt64() : 0;
        var eqmon = "";
        if (host.TryGetProperty("sources", out var sources))
            foreach (var s in sources.EnumerateArray())
                if (s.GetProperty("name").GetString() == "eqmon") eqmon = s.GetProperty("state").GetString() ?? "";
        var fresh = host.TryGetProperty("state", out var st) && st.GetString() == "ok";
        var startedAt = host.TryGetProperty("started_at", out var sa) && sa.TryGetDateTimeOffset(out var t) ? t : DateTimeOffset.MinValue;
        return new Status(stdout, parseErrors, eqmon, fresh, startedAt);
    }
}
