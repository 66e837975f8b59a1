using System.Diagnostics;
using System.Text.Json;
using BlueTeam.Tests.Support;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Response;

/// <summary>
/// The daemon banning with the real nft, each test in a network namespace of its own (the host's
/// ruleset is never touched): attack lines appended to a watched auth.log end up as elements of
/// table inet blueteam, with the safety rules holding.
/// </summary>
public class ResponseEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly NetNamespace _ns = NetNamespace.Create();
    private readonly string _log;

    private readonly ITestOutputHelper _output;

    public ResponseEndToEndTests(ITestOutputHelper output)
    {
        _output = output;
        _log = _dir.File("auth.log");
    }

    public void Dispose()
    {
        _ns.Dispose();
        _dir.Dispose();
    }

    private string Config(string mode)
    {
        var path = _dir.File($"blueteam-{mode}.yaml");
        File.WriteAllText(path, $"""
            host: e2e-host
            database: {"{"}driver: sqlite, path: {_dir.File("blueteam.db")}{"}"}
            monitoring: {"{"}poll_interval_sec: 1{"}"}
            correlation:
              rules:
                off_hours_login: {"{"}enabled: false{"}"}
            collectors:
              auth_log: {"{"}type: auth, paths: [{_log}]{"}"}
            alerting:
              console: {"{"}enabled: false{"}"}
              syslog: {"{"}enabled: false{"}"}
              email: {"{"}enabled: false{"}"}
            response:
              enabled: true
              mode: {mode}
              ignore: [198.51.100.0/24]
              ban_time_sec: 600
            """);
        return path;
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe, TimeSpan timeout, string what) where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (probe() is { } value) return value;
            await Task.Delay(20);
        }
        throw new TimeoutException($"{what} did not happen within {timeout}");
    }

    private static async Task<List<JsonElement>> AlertsAsync(string config)
    {
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json"]);
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
    }

    private static async Task<List<JsonElement>> BansAsync(string config, bool all = false)
    {
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(all
            ? ["--config", config, "bans", "list", "--all", "--format", "json"]
            : ["--config", config, "bans", "list", "--format", "json"]);
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
    }

    [Fact]
    public async Task Enforce_BansSourcesSafely_ExpiresInKernel_RestoresRemainingTimeAfterRestart()
    {
        var config = Config("enforce");
        var now = DateTime.Now;
        await File.WriteAllLinesAsync(_log, [AuthLogLines.Cron(now.AddMinutes(-5))]);

        using (var daemon = _ns.StartBlueTeam(["--config", config, "monitor"]))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            await Task.Delay(500);

            // The table exists from the start, with the drop rules, and nothing else was created.
            var (_, ruleset, _) = _ns.Exec(["nft", "list", "ruleset"]);
            Assert.Contains("table inet blueteam", ruleset);
            Assert.Contains("ip saddr @banned4 drop", ruleset);
            Assert.Contains("ip6 saddr @banned6 drop", ruleset);

            // 1. A brute force from 203.0.113.7 is in banned4, with a timeout, within a second of the incident.
            var appended = Stopwatch.StartNew();
            await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.7", 6, now, TimeSpan.FromSeconds(2)));
            var banned = await WaitForAsync(() => _ns.SetElements("banned4").TryGetValue("203.0.113.7", out var e) ? (object)e : null, TimeSpan.FromSeconds(10), "ban of 203.0.113.7");
            var banAfter = appended.Elapsed;
            _output.WriteLine($"203.0.113.7 in banned4 {banAfter.TotalMilliseconds:F0} ms after the lines were appended");
            var (timeout, expires) = ((long, long))banned;
            Assert.Equal(600, timeout);
            Assert.InRange(expires, 590, 600);
            // Measured from the append, so this includes the tailer noticing the file and correlation: the ban itself is one nft call.
            Assert.True(banAfter < TimeSpan.FromSeconds(1), $"banned {banAfter} after the lines were appended");

            // 2. An address in response.ignore raises its incident but is never banned.
            await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("198.51.100.9", 6, now, TimeSpan.FromSeconds(2)));
            // 3. A user name naming another address: only the real source (after "from") is banned.
            await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.50", 6, now, TimeSpan.FromSeconds(2), user: "invalid user 192.0.2.99 from 192.0.2.99"));
            // 4. An IPv6 source is banned as its /64.
            await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("2001:db8:1:2::7", 6, now, TimeSpan.FromSeconds(2)));

            await WaitForAsync(() => _ns.SetElements("banned6").ContainsKey("2001:db8:1:2::/64") ? "" : null, TimeSpan.FromSeconds(10), "ban of 2001:db8:1:2::/64");
            await WaitForAsync(() => _ns.SetElements("banned4").ContainsKey("203.0.113.50") ? "" : null, TimeSpan.FromSeconds(10), "ban of 203.0.113.50");
            var alerts = await AlertsAsync(config);
            Assert.Contains(alerts, a => a.GetProperty("source_ip").GetString() == "198.51.100.9"); // detected…
            var set4 = _ns.SetElements("banned4");
            Assert.False(set4.ContainsKey("198.51.100.9"), "an ignored address was banned"); // …not banned
            Assert.False(set4.ContainsKey("192.0.2.99"), "the address named in the user name was banned");
            Assert.Equal(["203.0.113.50", "203.0.113.7"], set4.Keys.Order(StringComparer.Ordinal));

            // Each ban names its rule, its incident and its evidence.
            var bans = await BansAsync(config);
            var first = Assert.Single(bans, b => b.GetProperty("target").GetString() == "203.0.113.7");
            Assert.Equal("ssh_brute_force", first.GetProperty("rule").GetString());
            Assert.Equal("enforced", first.GetProperty("action").GetString());
            Assert.Equal(alerts.Single(a => a.GetProperty("source_ip").GetString() == "203.0.113.7").GetProperty("fingerprint").GetString(), first.GetProperty("incident").GetString());
            Assert.Contains("Failed password for root from 203.0.113.7", first.GetProperty("evidence").GetString());

            // 5. Expiry is the kernel's: a 2 s ban added by a person disappears by itself.
            var (addExit, addOut, addErr) = await _ns.RunBlueTeamAsync(["--config", config, "bans", "add", "192.0.2.200", "--duration", "2s", "--reason", "test expiry"]);
            Assert.True(addExit == 0, addOut + addErr);
            Assert.True(_ns.SetElements("banned4").ContainsKey("192.0.2.200"));
            await WaitForAsync(() => _ns.SetElements("banned4").ContainsKey("192.0.2.200") ? null : "", TimeSpan.FromSeconds(5), "expiry of 192.0.2.200");

            // bans remove lifts the record and the element.
            var (rmExit, rmOut, rmErr) = await _ns.RunBlueTeamAsync(["--config", config, "bans", "remove", "203.0.113.50"]);
            Assert.True(rmExit == 0, rmOut + rmErr);
            Assert.False(_ns.SetElements("banned4").ContainsKey("203.0.113.50"));

            await daemon.StopAsync();
        }

        // 6. After a restart (here: the table gone too, as after a reboot) the active bans are back with their remaining time.
        var (delExit, _, delErr) = _ns.Exec(["nft", "delete", "table", "inet", "blueteam"]);
        Assert.True(delExit == 0, delErr);
        await Task.Delay(1100);
        using (var daemon = _ns.StartBlueTeam(["--config", config, "monitor"]))
        {
            await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
            var set4 = _ns.SetElements("banned4");
            Assert.True(set4.TryGetValue("203.0.113.7", out var restored), "203.0.113.7 not restored");
            Assert.InRange(restored.Timeout, 500, 599); // the remaining time, not a fresh 600 s
            Assert.False(set4.ContainsKey("203.0.113.50"), "a lifted ban came back");
            Assert.True(_ns.SetElements("banned6").ContainsKey("2001:db8:1:2::/64"));
            await daemon.StopAsync();
        }
    }

    [Fact]
    public async Task Enforce_NftNotPermitted_CriticalResponseFailureAlert_DetectionGoesOn()
    {
        // The daemon runs as nobody: nft is refused (no CAP_NET_ADMIN). Its files must be theirs to write.
        File.SetUnixFileMode(_dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        var config = Config("enforce");
        var now = DateTime.Now;
        await File.WriteAllLinesAsync(_log, [AuthLogLines.Cron(now.AddMinutes(-5))]);
        using var daemon = _ns.StartBlueTeamUnprivileged(["--config", config, "monitor"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.7", 6, now, TimeSpan.FromSeconds(2)));

        var alerts = await WaitForAsync(() => AlertsAsync(config).GetAwaiter().GetResult() is var a && a.Any(x => x.GetProperty("rule_name").GetString() == "ssh_brute_force")
            && a.Any(x => x.GetProperty("rule_name").GetString() == "response_failure") ? a : null,
            TimeSpan.FromSeconds(15), "the brute-force alert and the response_failure alert");
        var failure = Assert.Single(alerts, a => a.GetProperty("rule_name").GetString() == "response_failure");
        Assert.Equal("critical", failure.GetProperty("severity").GetString());
        Assert.Empty(_ns.SetElements("banned4"));
        Assert.Empty(await BansAsync(config, all: true)); // nothing recorded as enforced that was not

        // Detection goes on: a second attack is still detected.
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.8", 6, now, TimeSpan.FromSeconds(2)));
        await WaitForAsync(() => AlertsAsync(config).GetAwaiter().GetResult().Any(x => x.GetProperty("source_ip").GetString() == "203.0.113.8") ? "" : null,
            TimeSpan.FromSeconds(15), "the second brute-force alert");
        await daemon.StopAsync();
    }

    [Fact]
    public async Task DryRun_LeavesNftablesUntouched_ListsTheDecision()
    {
        var config = Config("dry_run");
        var now = DateTime.Now;
        await File.WriteAllLinesAsync(_log, [AuthLogLines.Cron(now.AddMinutes(-5))]);
        using var daemon = _ns.StartBlueTeam(["--config", config, "monitor"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        await File.AppendAllLinesAsync(_log, AuthLogLines.FailedPasswords("203.0.113.7", 6, now, TimeSpan.FromSeconds(2)));

        var bans = await WaitForAsync(() => BansAsync(config).GetAwaiter().GetResult() is { Count: > 0 } b ? b : null, TimeSpan.FromSeconds(15), "the dry-run decision");
        var ban = Assert.Single(bans);
        Assert.Equal("203.0.113.7", ban.GetProperty("target").GetString());
        Assert.Equal("dry_run", ban.GetProperty("action").GetString());
        var (exit, ruleset, err) = _ns.Exec(["nft", "list", "ruleset"]);
        Assert.True(exit == 0, err);
        Assert.Equal("", ruleset.Trim());
        await daemon.StopAsync();
    }
}
